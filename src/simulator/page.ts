import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

// The simulator page, served like the inbox: plain HTML, one vanilla script and one stylesheet, read once
// at start, under a CSP that lets nothing but our own files run or load.

const ASSETS = {
  'simulator.html': 'text/html; charset=utf-8',
  'simulator.js': 'text/javascript; charset=utf-8',
  'simulator.css': 'text/css; charset=utf-8',
} as const;
type Asset = keyof typeof ASSETS;

// src/simulator in development, dist/src/simulator once built: the assets stay in src/simulator/public.
function publicDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [join(dir, 'public'), join(dir, 'src', 'simulator', 'public')]) {
      if (existsSync(join(candidate, 'simulator.html'))) return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error('src/simulator/public not found above the simulator room');
}

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

export const simulatorPage: FastifyPluginAsync = async (app) => {
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
  app.get('/simulator', send('simulator.html'));
  for (const name of Object.keys(ASSETS) as Asset[]) app.get(`/simulator/${name}`, send(name));
};
