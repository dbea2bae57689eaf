import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

// The service's pages (inbox, dashboard, simulator) are plain HTML, one vanilla script and a stylesheet,
// kept in their room's public/ folder and read once at start: no build step, nothing for a branch PC to
// download but our own files.

// Nothing but our own files may run or load: a participant's text that slipped past escaping still could
// not execute or send the signed-in key anywhere.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** The room's public/ folder, from src/<room> in development or dist/src/<room> once built. */
function publicDir(moduleUrl: string, room: string, page: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [join(dir, 'public'), join(dir, 'src', room, 'public')]) {
      if (existsSync(join(candidate, page))) return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error(`src/${room}/public not found above the ${room} room`);
}

/**
 * Serves `/<path>` (the page `<path>.html`) and `/<path>/<file>` for each of `files`, from the public/
 * folder beside `moduleUrl`, under the strict CSP.
 */
export function staticPage(opts: {
  path: string;
  room: string;
  moduleUrl: string;
  files: string[];
}): FastifyPluginAsync {
  return async (app) => {
    const page = `${opts.path}.html`;
    const dir = publicDir(opts.moduleUrl, opts.room, page);
    const files = new Map(opts.files.map((name) => [name, readFileSync(join(dir, name))]));
    const send = (name: string) => ({
      schema: { hide: true },
      handler: async (_request: unknown, reply: FastifyReply) =>
        reply
          .type(TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream')
          .header('content-security-policy', CSP)
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .header('cache-control', 'no-cache')
          .send(files.get(name)),
    });
    app.get(`/${opts.path}`, send(page));
    for (const name of opts.files) app.get(`/${opts.path}/${name}`, send(name));
  };
}
