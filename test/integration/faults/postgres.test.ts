import { and, eq, isNull } from 'drizzle-orm';
import nock from 'nock';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, openDatabase } from '../../../src/db/index.js';
import { APP_SECRET, adminHeaders, CLOUD_API, startTestApp, type TestApp } from '../../support/app.js';
import { startPgProxy } from '../../support/pg-proxy.js';
import { hasServers } from '../../support/servers.js';
import { randomWamid, signedRequest, textWebhook } from '../../support/webhooks.js';

// PostgreSQL ends the service's connections (a failover, a restart, an administrator): the process lives
// on, connects again, and every message recorded around it is answered. The app runs the real engine; the
// test ends the connections with pg_terminate_backend from sessions of its own.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasServers)('PostgreSQL ends the connections', () => {
  let app: TestApp;
  let admin: postgres.Sql;
  const sent: { to: string }[] = [];
  const repliesTo = (waId: string) => sent.filter((b) => b.to === waId).length;

  beforeAll(async () => {
    // a send whose tries all met ended connections waits for the sweep: a second here, not half a minute
    app = await startTestApp({ conversations: true, sweepEveryMs: 1000 });
    admin = postgres(app.database.url, { max: 1, onnotice: () => {}, fetch_types: false });
    nock(CLOUD_API)
      .persist()
      .post(/\/messages$/, (body: { to: string }) => {
        sent.push(body);
        return true;
      })
      .reply(200, () => ({ messaging_product: 'whatsapp', messages: [{ id: randomWamid() }] }));
  });
  afterAll(async () => {
    await admin?.end();
    await app?.close();
    nock.cleanAll();
  });

  /** Ends every connection to the test database but this file's own. */
  const terminate = async (spare = 0): Promise<number> => {
    const ended = await admin`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and pid <> ${spare}`;
    return ended.length;
  };

  /** Holds an exclusive lock on a table in a session of its own, until release(). */
  const holdLock = async (table: string) => {
    const locker = postgres(app.database.url, { max: 1, onnotice: () => {}, fetch_types: false });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let pid = 0;
    const locked = new Promise<void>((resolve, reject) => {
      const transaction = locker.begin(async (tx) => {
        await tx.unsafe(`lock table ${table} in access exclusive mode`);
        pid = (await tx`select pg_backend_pid() as pid`)[0]!.pid as number;
        resolve();
        await held;
      });
      transaction.catch(reject);
      void transaction.finally(() => locker.end());
    });
    await locked;
    return { pid, release };
  };

  const waitForLockWaiter = () =>
    expect
      .poll(
        async () =>
          (
            await admin`select count(*)::int as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock'`
          )[0]!.n,
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);

  /** As the Cloud API delivers a webhook: again after an error answer, until it is taken. */
  const deliver = async (from: string, text: string): Promise<void> => {
    const req = signedRequest(textWebhook({ from, text }), APP_SECRET);
    for (let i = 0; i < 50; i++) {
      const res = await app.app.inject({
        method: 'POST',
        url: '/webhooks/whatsapp',
        headers: req.headers,
        payload: req.body,
      });
      if (res.statusCode === 200) return;
      await sleep(100);
    }
    throw new Error('webhook never taken');
  };

  it('lives through a connection ended while it starts', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const proxy = await startPgProxy(app.database.url);
    const database = await openDatabase({ databaseUrl: proxy.url, dataDir: 'unused', poolSize: 1 });
    try {
      proxy.holdTypeLookup = true;
      const first = database.ping().catch(() => undefined);
      // a driver that asks the new connection anything first is caught asking; then the connection ends
      await Promise.race([proxy.held(), first]);
      await terminate();
      proxy.release();
      await first;
      await sleep(300);
      await database.ping();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await database.close();
      await proxy.close();
    }
  });

  it('answers a message whose handling lost its connection half-way', async () => {
    // the engine's read of the sender's confirmations waits on this lock: its connection is then ended
    const lock = await holdLock('verifications');
    await deliver('6281300000001', 'menu');
    await waitForLockWaiter();
    expect(await terminate(lock.pid)).toBeGreaterThan(0);
    lock.release();

    await expect.poll(() => repliesTo('6281300000001'), { timeout: 20_000, interval: 200 }).toBe(1);
  }, 40_000);

  it('answers 503, to be tried again, an API request whose connection was ended', async () => {
    const lock = await holdLock('handoffs');
    const answer = app.app.inject({ method: 'GET', url: '/api/handoffs', headers: adminHeaders });
    await waitForLockWaiter();
    await terminate(lock.pid);
    lock.release();
    const res = await answer;
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    // tried again, as the answer asks
    const again = () => app.app.inject({ method: 'GET', url: '/api/handoffs', headers: adminHeaders });
    await expect.poll(async () => (await again()).statusCode, { timeout: 5000 }).toBe(200);
  });

  it('lives through its connections ended again and again, and answers every message recorded around it', async () => {
    const senders = Array.from({ length: 6 }, (_, i) => `62813000001${String(i).padStart(2, '0')}`);
    for (let round = 0; round < 4; round++) {
      const delivered = Promise.all(senders.map((from) => deliver(from, `menu ${round}`)));
      await sleep(15);
      await terminate();
      await delivered;
    }
    const unhandled = async () =>
      (
        await app.database.db
          .select({ id: messages.id })
          .from(messages)
          .where(and(eq(messages.direction, 'in'), isNull(messages.handledAt)))
      ).length;
    await expect.poll(unhandled, { timeout: 40_000, interval: 250 }).toBe(0);
    for (const from of senders) {
      await expect.poll(() => repliesTo(from), { timeout: 40_000, interval: 250 }).toBeGreaterThan(0);
    }
  }, 90_000);
});
