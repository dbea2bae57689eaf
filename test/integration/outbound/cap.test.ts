import { inArray } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../../../src/db/index.js';
import { createOutbound, type Outbound, type OutboundDeps } from '../../../src/outbound/index.js';
import { templateMessage } from '../../../src/whatsapp/index.js';
import {
  createTestDatabase,
  createTestRedis,
  flushPrefix,
  hasServers,
  TEST_REDIS_URL,
  type TestDatabase,
  testRedisPrefix,
} from '../../support/servers.js';
import { fakeCloudApi, mostInAnyWindow, newWaId, testClient, waitFor } from './support.js';

// The cap as the Cloud API would see it: arrival times of the requests, never the configuration.
const MPS = 5;
const MESSAGES = 25;

const template = (to: string) =>
  templateMessage(to, { name: 'iuran_reminder', language: 'id', bodyParameters: ['Siti'] });

describe.skipIf(!hasServers)('the send cap, measured at the Cloud API', () => {
  let database: TestDatabase;
  const prefixes: string[] = [];
  const open: Outbound[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
    await database.db
      .update(messages)
      .set({ status: 'skipped' })
      .where(inArray(messages.status, ['queued', 'sending']));
    nock.cleanAll();
  });
  afterAll(async () => {
    nock.enableNetConnect();
    const redis = createTestRedis();
    for (const p of prefixes) await flushPrefix(redis, p);
    await redis.quit();
    await database?.close();
  });

  function outbound(redisPrefix: string | null, over: Partial<OutboundDeps> = {}): Outbound {
    if (redisPrefix) prefixes.push(redisPrefix);
    const o = createOutbound({
      db: database.db,
      client: testClient(),
      mps: MPS,
      retry: { attempts: 3, baseDelayMs: 20 },
      ...(redisPrefix ? { redis: { url: TEST_REDIS_URL!, prefix: redisPrefix } } : {}),
      ...over,
    });
    open.push(o);
    return o;
  }

  async function blast(senders: Outbound[], api: ReturnType<typeof fakeCloudApi>) {
    const tos = Array.from({ length: MESSAGES }, () => newWaId());
    await Promise.all(
      tos.map((to, i) =>
        senders[i % senders.length]!.enqueue({
          contactKey: to,
          body: template(to),
          priority: 'blast',
          origin: { kind: 'notice' },
        }),
      ),
    );
    await waitFor(() => api.received.length >= MESSAGES, 15_000);
    const times = api.received.map((r) => r.at);
    return {
      times,
      span: Math.max(...times) - Math.min(...times),
      distinct: new Set(api.received.map((r) => r.to)),
    };
  }

  it.each([['redis'], ['in-process']])('%s: no second holds more than mps sends', async (mode) => {
    const api = fakeCloudApi();
    const o = outbound(mode === 'redis' ? testRedisPrefix() : null);
    await o.start();
    const { times, span, distinct } = await blast([o], api);
    expect(distinct.size).toBe(MESSAGES);
    expect(mostInAnyWindow(times, 1000)).toBeLessThanOrEqual(MPS);
    // 25 at 5 a second: the 21st cannot go before 4 full windows have passed.
    expect(span).toBeGreaterThanOrEqual(4000);
    expect(span).toBeLessThan(6000);
  });

  it('redis: two processes sharing one Redis share one cap', async () => {
    const api = fakeCloudApi();
    const prefix = testRedisPrefix();
    const a = outbound(prefix);
    const b = outbound(prefix);
    await Promise.all([a.start(), b.start()]);
    const { times, span, distinct } = await blast([a, b], api);
    expect(distinct.size).toBe(MESSAGES);
    expect(mostInAnyWindow(times, 1000)).toBeLessThanOrEqual(MPS);
    expect(span).toBeGreaterThanOrEqual(4000);
    expect(span).toBeLessThan(6000);
  });
});
