import { inArray } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../../../src/db/index.js';
import { recordStatuses } from '../../../src/messages/index.js';
import { createMetrics } from '../../../src/metrics.js';
import type { GuardedMessage, OutcomeReport, SendDecision } from '../../../src/outbound/index.js';
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
import { fakeCloudApi, graphError, newWaId, sleep, testClient, waitFor, waitForStatus } from './support.js';

type Mode = 'redis' | 'in-process';

const template = (to: string) =>
  templateMessage(to, { name: 'iuran_reminder', language: 'id', bodyParameters: ['Siti'] });

describe.skipIf(!hasServers)('outbound origins: pre-send guards and outcomes', () => {
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
        statusLagMs: 20,
        followEveryMs: 20,
        ...(mode === 'redis' ? { redis: { url: TEST_REDIS_URL!, prefix } } : {}),
      });
      open.push(o);
      return o;
    }

    it('asks the guard of the origin kind just before sending, and skips what it refuses', async () => {
      const api = fakeCloudApi();
      const metrics = createMetrics();
      const o = outbound(metrics);
      const seen: GuardedMessage[] = [];
      let verdict: SendDecision = { skip: 'paid' };
      o.handle('notice', {
        guard: async (list) => {
          seen.push(...list);
          return list.map(() => verdict);
        },
      });
      await o.start();
      const [a, b, c] = [newWaId(), newWaId(), newWaId()];
      const skipped = await o.enqueue({
        contactKey: a,
        body: template(a),
        priority: 'blast',
        origin: { kind: 'notice' },
        dedupeKey: `test:${a}`,
      });
      const row = await waitForStatus(database.db, skipped.messageId, ['skipped']);
      expect(row.errorTitle).toBe('paid');
      expect(row.attempts).toBe(0);
      expect(seen[0]).toMatchObject({
        id: skipped.messageId,
        origin: { kind: 'notice' },
        contactKey: a,
        priority: 'blast',
        status: 'queued',
      });

      verdict = 'send';
      const sent = await o.enqueue({
        contactKey: b,
        body: template(b),
        priority: 'blast',
        origin: { kind: 'notice' },
        dedupeKey: `test:${b}`,
      });
      // no guard for another origin kind
      const other = await o.enqueue({
        contactKey: c,
        body: template(c),
        priority: 'blast',
        origin: { kind: 'reply' },
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
      o.handle('notice', {
        guard: async (list) =>
          list.map(() => (++holds <= 2 ? { holdMs: 150, reason: 'quiet hours' } : 'send')),
      });
      await o.start();
      const to = newWaId();
      const started = Date.now();
      const { messageId } = await o.enqueue({
        contactKey: to,
        body: template(to),
        priority: 'blast',
        origin: { kind: 'notice' },
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

    it('tells the origin how each message ended, once, and what status webhooks say after acceptance', async () => {
      const api = fakeCloudApi();
      const o = outbound();
      const told: OutcomeReport[] = [];
      let transactions = 0;
      o.handle('notice', {
        guard: async (list) => list.map((m) => (m.contactKey === skipTo ? { skip: 'not today' } : 'send')),
        outcomes: async (tx, reports) => {
          // told inside the transaction that records the outcome
          const [row] = await tx
            .select({ status: messages.status })
            .from(messages)
            .where(
              inArray(
                messages.id,
                reports.map((r) => r.messageId),
              ),
            );
          if (row) transactions++;
          told.push(...reports);
        },
      });
      const [okTo, skipTo, failTo] = [newWaId(), newWaId(), newWaId()];
      api.script(failTo, { status: 400, body: graphError(132001, 'Template does not exist') });
      await o.start();
      const send = (to: string) =>
        o.enqueue({ contactKey: to, body: template(to), priority: 'blast', origin: { kind: 'notice' } });
      const ok = await send(okTo);
      const skipped = await send(skipTo);
      const failed = await send(failTo);
      // another kind, with no handler, tells nobody
      const reply = await o.enqueue({
        contactKey: okTo,
        body: template(okTo),
        priority: 'blast',
        origin: { kind: 'reply' },
      });
      await waitForStatus(database.db, ok.messageId, ['accepted']);
      await waitForStatus(database.db, skipped.messageId, ['skipped']);
      await waitForStatus(database.db, failed.messageId, ['failed']);
      await waitForStatus(database.db, reply.messageId, ['accepted']);
      await waitFor(() => told.length === 3);
      const byMessage = (id: number) => told.filter((r) => r.messageId === id).map((r) => r.outcome);
      expect(byMessage(ok.messageId)).toEqual([{ kind: 'accepted' }]);
      expect(byMessage(skipped.messageId)).toEqual([{ kind: 'skipped', reason: 'not today' }]);
      expect(byMessage(failed.messageId)).toEqual([
        { kind: 'failed', code: 132001, title: expect.any(String), late: false },
      ]);
      expect(byMessage(reply.messageId)).toEqual([]);
      expect(told.every((r) => r.origin.kind === 'notice')).toBe(true);
      expect(transactions).toBe(3);

      // after acceptance: a failure and the billed category, read from the recorded statuses
      const wamid = api.to(okTo)[0]!.wamid!;
      await recordStatuses(database.db, [
        {
          wamid,
          phoneNumberId: 'x',
          status: 'failed',
          timestamp: new Date(),
          recipient: okTo,
          errors: [{ code: 131026, title: 'Message undeliverable' }],
          pricing: { category: 'utility', type: 'regular' },
        },
      ]);
      await waitFor(() => told.length === 5);
      expect(byMessage(ok.messageId)).toEqual([
        { kind: 'accepted' },
        { kind: 'failed', code: 131026, title: 'Message undeliverable', late: true },
        { kind: 'billed', category: 'utility' },
      ]);
      await sleep(100);
      expect(told).toHaveLength(5);
    });
  });
});
