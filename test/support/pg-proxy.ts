import { createServer, connect as dial, type Socket } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that can hold back the first thing a driver asks a new connection when
 * that is the array-type lookup (postgres.js's `fetch_types`), so that a test can end the connection at that
 * very moment with pg_terminate_backend: a timing the real world hits by chance during a failover.
 */
export interface PgProxy {
  /** the database URL, through the proxy */
  url: string;
  /** hold the array-type lookup of the connections opened from now on */
  holdTypeLookup: boolean;
  /** resolves when a lookup is held */
  held(): Promise<void>;
  /** sends on what was held (to a backend that may be gone by then) */
  release(): void;
  close(): Promise<void>;
}

export async function startPgProxy(databaseUrl: string): Promise<PgProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  const waiting: (() => void)[] = [];
  let heldCount = 0;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    s.on('close', () => sockets.delete(s));
  };
  const server = createServer((client) => {
    const upstream = dial(Number(target.port || 5432), target.hostname);
    track(client);
    track(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (proxy.holdTypeLookup && chunk.includes('typarray')) {
        heldCount++;
        holding.push(() => upstream.write(chunk));
        for (const notify of waiting.splice(0)) notify();
        return;
      }
      upstream.write(chunk);
    });
  });
  const holding: (() => void)[] = [];
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const proxy: PgProxy = {
    url: url.toString(),
    holdTypeLookup: false,
    held: () =>
      heldCount > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiting.push(resolve);
          }),
    release() {
      for (const send of holding.splice(0)) send();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return proxy;
}
