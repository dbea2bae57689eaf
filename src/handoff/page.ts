import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

// The agents' page: plain HTML, one vanilla script, one stylesheet and a small dictionary, read once at
// start. The page holds no secret; the agent types their key, which the script keeps in sessionStorage.

const ASSETS = {
  'inbox.html': 'text/html; charset=utf-8',
  'inbox.js': 'text/javascript; charset=utf-8',
  'inbox.css': 'text/css; charset=utf-8',
  'i18n.json': 'application/json; charset=utf-8',
} as const;
type Asset = keyof typeof ASSETS;

// src/handoff in development, dist/src/handoff once built: the assets stay in src/handoff/public.
function publicDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [join(dir, 'public'), join(dir, 'src', 'handoff', 'public')]) {
      if (existsSync(join(candidate, 'inbox.html'))) return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error('src/handoff/public not found above the handoff room');
}

// Nothing but our own files may run or load: a participant's text that slipped past escaping still could
// not execute or send the agent's key anywhere.
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

export const inboxPage: FastifyPluginAsync = async (app) => {
  const dir = publicDir();
  const files = new Map<Asset, Buffer>(
    (Object.keys(ASSETS) as Asset[]).map((name) => [name, readFileSync(join(dir, name))]),
  );
  const send = (name: Asset) => ({
    schema: { hide: true },
    handler: async (_request: unknown, reply: FastifyReply) =>
      reply
        .type(ASSETS[name])
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-cache')
        .send(files.get(name)),
  });
  app.get('/inbox', send('inbox.html'));
  for (const name of Object.keys(ASSETS) as Asset[]) app.get(`/inbox/${name}`, send(name));
};
