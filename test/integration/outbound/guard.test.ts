import { inArray } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../../../src/db/index.js';
import { createMetrics } from '../../../src/metrics.js';
import type { GuardedMessage, SendDecision } from '../../../src/outbound/index.js';
import { createOutboundInternals, type OutboundInternals } from '../../../src/outbound/outbound.js';
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
import { fakeCloudApi, newWaId, sleep, testClient, waitForStatus } from './support.js';

type Mode = 'redis' | 'in-process';

const template = (to: string) =>
  templateMessage(to, { name: 'iuran_reminder', language: 'id', bodyParameters: ['Siti'] });

describe.skipIf(!hasServers)('outbound pre-send guards', () => {
  let database: TestDatabase;
  const prefixes: string[] = [];
  const open: OutboundInternals[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  });
  afterAll(async () => {
    nock.enableNetConnect();
    const redis = createTestRedis();
    for (const p of prefixes) await flushPrefix(redis, p);
    await redis.quit();
    await database?.close();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
    await database.db
      .update(messages)
      .set({ status: 'skipped' })
      .where(inArray(messages.status, ['queued', 'sending']));
    nock.cleanAll();
  });

  describe.each<[Mode]>([['redis'], ['in-process']])('%s', (mode) => {
    function outbound(metrics = createMetrics()): OutboundInternals {
      const prefix = testRedisPrefix();
      prefixes.push(prefix);
      const o = createOutboundInternals({
        db: database.db,
        client: testClient(),
        metrics,
        mps: 50,
        retry: { attempts: 3, baseDelayMs: 20 },
        ...(mode === 'redis' ? { redis: { url: TEST_REDIS_URL!, prefix } } : {}),
      });
      open.push(o);
      return o;
    }

    it('asks the guard of the dedupe prefix just before sending, and skips what it refuses', async () => {
      const api = fakeCloudApi();
      const metrics = createMetrics();
      const o = outbound(metrics);
      const seen: GuardedMessage[] = [];
      let verdict: SendDecision = { skip: 'paid' };
      o.guard('test:', async (list) => {
        seen.push(...list);
        return list.map(() => verdict);
      });
      await o.start();
      const [a, b, c] = [newWaId(), newWaId(), newWaId()];
      const skipped = await o.enqueue({
        contactKey: a,
        body: template(a),
        priority: 'blast',
        dedupeKey: `test:${a}`,
      });
      const row = await waitForStatus(database.db, skipped.messageId, ['skipped']);
      expect(row.errorTitle).toBe('paid');
      expect(row.attempts).toBe(0);
      expect(seen[0]).toMatchObject({
        id: skipped.messageId,
        dedupeKey: `test:${a}`,
        contactKey: a,
        priority: 'blast',
        status: 'queued',
      });

      verdict = 'send';
      const sent = await o.enqueue({
        contactKey: b,
        body: template(b),
        priority: 'blast',
        dedupeKey: `test:${b}`,
      });
      // no guard for another prefix, nor for a message without a dedupe key
      const other = await o.enqueue({
        contactKey: c,
        body: template(c),
        priority: 'blast',
        dedupeKey: `x:${c}`,
      });
      await waitForStatus(database.db, sent.messageId, ['accepted']);
      await waitForStatus(database.db, other.messageId, ['accepted']);
      expect(api.to(a)).toHaveLength(0);
      expect(api.received.map((r) => r.to).sort()).toEqual([b, c].sort());
      expect(seen.map((m) => m.contactKey)).toEqual([a, b]);
      const { values } = await metrics.sends.get();
      expect(values.find((v) => v.labels.outcome === 'skipped')?.value).toBe(1);
    });

    it('holds a message back without using an attempt, then sends it once the guard allows', async () => {
      const api = fakeCloudApi();
      const o = outbound();
      let holds = 0;
      o.guard('hold:', async (list) =>
        list.map(() => (++holds <= 2 ? { holdMs: 150, reason: 'quiet hours' } : 'send')),
      );
      await o.start();
      const to = newWaId();
      const started = Date.now();
      const { messageId } = await o.enqueue({
        contactKey: to,
        body: template(to),
        priority: 'blast',
        dedupeKey: `hold:${to}`,
      });
      await sleep(100);
      expect(api.to(to)).toHaveLength(0);
      const row = await waitForStatus(database.db, messageId, ['accepted']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
      expect(row.attempts).toBe(1);
      expect(api.to(to)).toHaveLength(1);
      expect(holds).toBe(3);
    });
  });
});
