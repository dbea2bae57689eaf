import { eq, inArray } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messageStatuses, messages } from '../../../src/db/index.js';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import { createOutbound, type Priority } from '../../../src/outbound/index.js';
import {
  createOutboundInternals,
  type OutboundDeps,
  type OutboundInternals,
} from '../../../src/outbound/outbound.js';
import {
  buttonMessage,
  type OutboundBody,
  templateMessage,
  textMessage,
  withCallbackData,
} from '../../../src/whatsapp/index.js';
import {
  createTestDatabase,
  createTestRedis,
  flushPrefix,
  hasServers,
  TEST_REDIS_URL,
  type TestDatabase,
  testRedisPrefix,
} from '../../support/servers.js';
import {
  CLIENT_TIMEOUT_MS,
  fakeCloudApi,
  graphError,
  newWaId,
  rowOf,
  sleep,
  testClient,
  waitFor,
  waitForStatus,
  withContact,
} from './support.js';

type Mode = 'redis' | 'in-process';

const template = (to: string) =>
  templateMessage(to, { name: 'iuran_reminder', language: 'id', bodyParameters: ['Siti', 'Rp36.800'] });
const text = (to: string, s = 'Halo') => textMessage(to, s);

async function metricValue(m: Metrics, name: 'sends' | 'sendFailures', labels: Record<string, string>) {
  const { values } = await m[name].get();
  return (
    values.find((v) =>
      Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
    )?.value ?? 0
  );
}

describe.skipIf(!hasServers)('outbound queue and sender', () => {
  let database: TestDatabase;
  const prefixes: string[] = [];
  const open: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  });
  afterAll(async () => {
    nock.enableNetConnect();
    if (prefixes.length > 0) {
      const redis = createTestRedis();
      for (const p of prefixes) await flushPrefix(redis, p);
      await redis.quit();
    }
    await database?.close();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
    // Whatever a test left unsent must not be swept into the next test's sends.
    await database.db
      .update(messages)
      .set({ status: 'skipped' })
      .where(inArray(messages.status, ['queued', 'sending']));
    nock.cleanAll();
  });

  describe.each<[Mode]>([['redis'], ['in-process']])('%s', (mode) => {
    let api: ReturnType<typeof fakeCloudApi>;
    let metrics: Metrics;
    beforeEach(() => {
      api = fakeCloudApi();
      metrics = createMetrics();
    });

    function outbound(over: Partial<OutboundDeps> = {}, prefix?: string): OutboundInternals {
      const p = prefix ?? testRedisPrefix();
      if (mode === 'redis' && !prefixes.includes(p)) prefixes.push(p);
      const o = createOutboundInternals({
        db: database.db,
        client: testClient(),
        metrics,
        mps: 50,
        retry: { attempts: 4, baseDelayMs: 20 },
        ...(mode === 'redis' ? { redis: { url: TEST_REDIS_URL!, prefix: p } } : {}),
        ...over,
      });
      open.push(o);
      return o;
    }

    async function enqueue(
      o: OutboundInternals,
      to: string,
      body: OutboundBody,
      priority: Priority = 'reply',
    ) {
      return (await o.enqueue({ contactKey: to, body, priority, origin: { kind: 'notice' } })).messageId;
    }

    it('sends a reply inside the window: callback data in the body, wamid stored, accepted', async () => {
      const to = newWaId();
      await withContact(database.db, to, 1);
      const o = outbound();
      await o.start();
      const { messageId, duplicate } = await o.enqueue({
        contactKey: to,
        body: text(to),
        priority: 'reply',
        origin: { kind: 'reply' },
        text: 'Halo',
      });
      expect(duplicate).toBe(false);
      const row = await waitForStatus(database.db, messageId, ['accepted']);
      const [sent] = api.to(to);
      expect(sent!.body.biz_opaque_callback_data).toBe(`msg:${messageId}`);
      expect(row).toMatchObject({
        wamid: sent!.wamid,
        attempts: 1,
        priority: 'reply',
        text: 'Halo',
        type: 'text',
      });
      expect(row.payload).toEqual(withCallbackData(text(to), `msg:${messageId}`));
      expect(await metricValue(metrics, 'sends', { outcome: 'accepted', priority: 'reply' })).toBe(1);
    });

    it('retries 130429, HTTP 500 and a timeout, to exactly one accepted send each', async () => {
      const [a, b, c] = [newWaId(), newWaId(), newWaId()];
      api.script(a, { status: 400, body: graphError(130429, 'Rate limit hit') }, { status: 200 });
      api.script(b, { status: 500 }, { status: 500, body: '<html>oops</html>' }, { status: 200 });
      api.script(c, { status: 200, delayMs: CLIENT_TIMEOUT_MS + 400 }, { status: 200 });
      const o = outbound();
      await o.start();
      const ids = [
        await enqueue(o, a, template(a)),
        await enqueue(o, b, template(b)),
        await enqueue(o, c, template(c)),
      ];
      const rows = await Promise.all(ids.map((id) => waitForStatus(database.db, id, ['accepted'])));
      await sleep(150);
      expect([a, b, c].map((to) => api.to(to).length)).toEqual([2, 3, 2]);
      for (const [i, to] of [a, b, c].entries()) {
        expect(rows[i]!.wamid).toBe(api.to(to).at(-1)!.wamid);
        expect(rows[i]!.errorCode).toBeNull();
      }
      expect(rows.map((r) => r.attempts)).toEqual([2, 3, 2]);
      expect(await metricValue(metrics, 'sendFailures', { code: '130429' })).toBe(1);
      expect(await metricValue(metrics, 'sendFailures', { code: 'http_500' })).toBe(2);
      expect(await metricValue(metrics, 'sendFailures', { code: 'timeout' })).toBe(1);
      // Only the send after the timeout could have duplicated a message.
      expect((await metrics.possibleDuplicates.get()).values[0]!.value).toBe(1);
      expect(await metricValue(metrics, 'sends', { outcome: 'accepted', priority: 'reply' })).toBe(3);
    });

    it('pauses the whole number after 130429, not only the message that met it', async () => {
      const [a, b, c] = [newWaId(), newWaId(), newWaId()];
      api.script(a, { status: 400, body: graphError(130429, 'Rate limit hit') }, { status: 200 });
      const o = outbound({ retry: { attempts: 5, baseDelayMs: 10 } });
      await o.start();
      const first = await enqueue(o, a, template(a), 'blast');
      await waitFor(async () => api.to(a).length >= 1);
      const throttledAt = api.to(a)[0]!.at;
      // others queued after the throttle wait for the number's pause, although their own retries are fast
      const ids = [await enqueue(o, b, template(b), 'blast'), await enqueue(o, c, template(c), 'blast')];
      await Promise.all([first, ...ids].map((id) => waitForStatus(database.db, id, ['accepted'])));
      const after = api.received.filter((r) => r.at > throttledAt);
      expect(after.length).toBe(3);
      expect(Math.min(...after.map((r) => r.at)) - throttledAt).toBeGreaterThanOrEqual(950);
    });

    it('marks a message failed with the last code when retries run out', async () => {
      const to = newWaId();
      const busy = { status: 400, body: graphError(131000, 'Something went wrong') };
      api.script(to, busy, busy, busy, busy, busy);
      const o = outbound({ retry: { attempts: 3, baseDelayMs: 10 } });
      await o.start();
      const id = await enqueue(o, to, template(to), 'blast');
      const row = await waitForStatus(database.db, id, ['failed']);
      await sleep(150);
      expect(api.to(to)).toHaveLength(3);
      expect(row).toMatchObject({ errorCode: 131000, attempts: 3, wamid: null });
    });

    it('fails 131026 and 132001 once, with their code, without a retry', async () => {
      const [a, b] = [newWaId(), newWaId()];
      api.script(a, { status: 400, body: graphError(131026, 'Message undeliverable') }, { status: 200 });
      api.script(
        b,
        { status: 400, body: graphError(132001, 'Template name does not exist') },
        { status: 200 },
      );
      const o = outbound();
      await o.start();
      const ids = [await enqueue(o, a, template(a)), await enqueue(o, b, template(b))];
      const rows = await Promise.all(ids.map((id) => waitForStatus(database.db, id, ['failed'])));
      await sleep(200);
      expect([api.to(a).length, api.to(b).length]).toEqual([1, 1]);
      expect(rows.map((r) => [r.errorCode, r.attempts])).toEqual([
        [131026, 1],
        [132001, 1],
      ]);
      expect(rows[0]!.errorTitle).toContain('undeliverable');
      expect(rows[0]!.failedAt).toBeInstanceOf(Date);
      expect(await metricValue(metrics, 'sends', { outcome: 'permanent', priority: 'reply' })).toBe(2);
    });

    it('takes 131047 from the API as window closed: failed, no retry', async () => {
      const to = newWaId();
      await withContact(database.db, to, 1);
      api.script(to, { status: 400, body: graphError(131047, 'Re-engagement message') }, { status: 200 });
      const o = outbound();
      await o.start();
      const id = await enqueue(o, to, text(to));
      const row = await waitForStatus(database.db, id, ['failed']);
      await sleep(200);
      expect(api.to(to)).toHaveLength(1);
      expect(row.errorCode).toBe(131047);
      expect(await metricValue(metrics, 'sends', { outcome: 'window_closed', priority: 'reply' })).toBe(1);
    });

    it('never sends free-form outside the 24-hour window, but sends a template there', async () => {
      const [stale, unknown, tmpl] = [newWaId(), newWaId(), newWaId()];
      await withContact(database.db, stale, 25);
      const o = outbound();
      await o.start();
      const textId = await enqueue(o, stale, text(stale));
      const buttonsId = await enqueue(
        o,
        unknown,
        buttonMessage(unknown, { body: 'Pilih', buttons: [{ id: 'bill', title: 'Tagihan' }] }),
      );
      const templateId = await enqueue(o, tmpl, template(tmpl), 'blast');
      for (const id of [textId, buttonsId]) {
        expect(await waitForStatus(database.db, id, ['failed'])).toMatchObject({
          errorCode: 131047,
          errorTitle: 'window closed',
          attempts: 0,
        });
      }
      await waitForStatus(database.db, templateId, ['accepted']);
      await sleep(100);
      expect(api.to(stale)).toHaveLength(0);
      expect(api.to(unknown)).toHaveLength(0);
      expect(api.to(tmpl)).toHaveLength(1);
    });

    it('is idempotent on dedupeKey: concurrent enqueues make one row and one send', async () => {
      const to = newWaId();
      const o = outbound();
      await o.start();
      const dedupeKey = `campaign:1:participant:${to}:bill:2026-11`;
      const req = {
        contactKey: to,
        body: template(to),
        priority: 'blast' as const,
        origin: { kind: 'notice' } as const,
        dedupeKey,
      };
      const results = await Promise.all(Array.from({ length: 6 }, () => o.enqueue(req)));
      const ids = new Set(results.map((r) => r.messageId));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      const [id] = [...ids];
      await waitForStatus(database.db, id!, ['accepted']);
      expect(await o.enqueue(req)).toEqual({ messageId: id, duplicate: true });
      await sleep(150);
      expect(api.to(to)).toHaveLength(1);
      expect(await database.db.select().from(messages).where(eq(messages.dedupeKey, dedupeKey))).toHaveLength(
        1,
      );
    });

    it('enqueues a page of messages at once, each sent once, a taken dedupe key answered as a duplicate', async () => {
      const people = [newWaId(), newWaId(), newWaId()];
      const o = outbound();
      await o.start();
      const reqs = people.map((to) => ({
        contactKey: to,
        body: template(to),
        priority: 'blast' as const,
        origin: { kind: 'notice' } as const,
        dedupeKey: `page:${to}`,
      }));
      const first = await o.enqueueMany(reqs.slice(0, 2));
      const again = await o.enqueueMany(reqs);
      expect(first.map((r) => r.duplicate)).toEqual([false, false]);
      expect(again.map((r) => r.duplicate)).toEqual([true, true, false]);
      expect(again.slice(0, 2).map((r) => r.messageId)).toEqual(first.map((r) => r.messageId));
      await Promise.all(again.map((r) => waitForStatus(database.db, r.messageId, ['accepted'])));
      await sleep(150);
      expect(people.map((to) => api.to(to).length)).toEqual([1, 1, 1]);
      const sent = api.to(people[2]!)[0]!.body as { biz_opaque_callback_data?: string };
      expect(sent.biz_opaque_callback_data).toBe(`msg:${again[2]!.messageId}`);
    });

    it('never sends an accepted message again, even when its job runs again', async () => {
      const to = newWaId();
      const o = outbound();
      await o.start();
      const id = await enqueue(o, to, template(to));
      const row = await waitForStatus(database.db, id, ['accepted']);
      await waitFor(async () => (await o.depth()).active === 0);
      expect(await o.revive([{ messageId: id, priority: 'reply' }])).toBe(1);
      expect(await o.sweep()).toBe(0);
      await waitFor(async () => {
        const d = await o.depth();
        return d.waiting + d.active === 0;
      });
      await sleep(100);
      expect(api.to(to)).toHaveLength(1);
      expect(await rowOf(database.db, id)).toMatchObject({
        status: 'accepted',
        wamid: row.wamid,
        attempts: 1,
      });
    });

    it('start() sweeps unsent rows without a job back in; one left mid-send counts as a possible duplicate', async () => {
      const [queued, sending] = [newWaId(), newWaId()];
      const insert = async (to: string, status: 'queued' | 'sending') => {
        const [r] = await database.db
          .insert(messages)
          .values({
            direction: 'out',
            contactKey: to,
            type: 'template',
            payload: template(to),
            status,
            priority: 'blast',
            attempts: status === 'sending' ? 1 : 0,
          })
          .returning({ id: messages.id });
        return r!.id;
      };
      const ids = [await insert(queued, 'queued'), await insert(sending, 'sending')];
      const o = outbound();
      await o.start();
      const rows = await Promise.all(ids.map((id) => waitForStatus(database.db, id, ['accepted'])));
      expect(rows.map((r) => r.attempts)).toEqual([1, 2]);
      expect([api.to(queued).length, api.to(sending).length]).toEqual([1, 1]);
      expect((await metrics.possibleDuplicates.get()).values[0]!.value).toBe(1);
    });

    it('applies a status recorded before the wamid was stored', async () => {
      const to = newWaId();
      const wamid = `wamid.EARLY.${to}`;
      await database.db.insert(messageStatuses).values({
        wamid,
        status: 'delivered',
        occurredAt: new Date(),
        recipient: to,
      });
      api.script(to, { status: 200, wamid });
      const o = outbound();
      await o.start();
      const id = await enqueue(o, to, template(to));
      const row = await waitForStatus(database.db, id, ['delivered']);
      expect(row.wamid).toBe(wamid);
      expect(row.deliveredAt).toBeInstanceOf(Date);
    });

    it('sends a reply before a backlog of blasts', async () => {
      const o = outbound({ mps: 2 });
      await o.start();
      const blasts = Array.from({ length: 12 }, () => newWaId());
      for (const to of blasts) await enqueue(o, to, template(to), 'blast');
      await waitFor(() => api.received.length >= 2);
      const replyTo = newWaId();
      await withContact(database.db, replyTo, 1);
      const enqueuedAt = Date.now();
      await enqueue(o, replyTo, text(replyTo));
      await waitFor(() => api.to(replyTo).length === 1, 6000);
      const after = api.received.filter((r) => r.at >= enqueuedAt);
      const position = after.findIndex((r) => r.to === replyTo);
      // Blasts already past the limiter may go first; nothing of the waiting backlog does.
      expect(position).toBeLessThanOrEqual(1);
      expect(after.length).toBeLessThan(6);
    });

    it("sends a conversation's bubbles in order, each once the one before was accepted", async () => {
      const to = newWaId();
      await withContact(database.db, to, 1);
      api.script(to, { status: 200, delayMs: 150 });
      const o = outbound();
      await o.start();
      // A blast still waiting for its time does not hold the conversation up.
      await o.enqueue({
        contactKey: to,
        body: template(to),
        priority: 'blast',
        origin: { kind: 'notice' },
        delayMs: 60_000,
      });
      const ids = [];
      for (const s of ['one', 'two', 'three']) ids.push(await enqueue(o, to, text(to, s)));
      await Promise.all(ids.map((id) => waitForStatus(database.db, id, ['accepted'])));
      const sent = api.to(to);
      expect(sent.map((r) => (r.body.text as { body: string }).body)).toEqual(['one', 'two', 'three']);
      expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(150);
    });

    it('close() during sends resolves only after they finished and their wamids are stored', async () => {
      const tos = [newWaId(), newWaId(), newWaId()];
      for (const to of tos) api.script(to, { status: 200, delayMs: 250 });
      const o = outbound();
      await o.start();
      const ids = [];
      for (const to of tos) ids.push(await enqueue(o, to, template(to)));
      await waitFor(() => api.received.length === 3);
      await o.close();
      for (const [i, id] of ids.entries()) {
        expect(await rowOf(database.db, id)).toMatchObject({
          status: 'accepted',
          wamid: api.to(tos[i]!)[0]!.wamid,
        });
      }
    });

    it('close() hands sends still waiting for a slot back untouched, for the next start', async () => {
      const tos = [newWaId(), newWaId(), newWaId()];
      const prefix = testRedisPrefix();
      const first = outbound({ mps: 1 }, prefix);
      await first.start();
      const ids = [];
      for (const to of tos) ids.push(await enqueue(first, to, template(to), 'blast'));
      await waitFor(() => api.received.length === 1);
      const t0 = Date.now();
      await first.close();
      expect(Date.now() - t0).toBeLessThan(500);
      expect(api.received).toHaveLength(1);
      const rows = await Promise.all(ids.map((id) => rowOf(database.db, id)));
      expect(rows.map((r) => [r.status, r.attempts]).sort()).toEqual([
        ['accepted', 1],
        ['queued', 0],
        ['queued', 0],
      ]);
      const second = outbound({ mps: 50 }, prefix);
      await second.start();
      await Promise.all(ids.map((id) => waitForStatus(database.db, id, ['accepted'])));
      expect(new Set(api.received.map((r) => r.to)).size).toBe(3);
      expect(api.received).toHaveLength(3);
      expect((await metrics.possibleDuplicates.get()).values[0]?.value ?? 0).toBe(0);
    });

    it('reports depth and feeds the queue-depth gauge; an enqueue-only process sends nothing', async () => {
      const o = outbound();
      const to = newWaId();
      await enqueue(o, to, template(to));
      await enqueue(o, to, template(to), 'blast');
      await o.enqueue({
        contactKey: to,
        body: template(to),
        priority: 'blast',
        origin: { kind: 'notice' },
        delayMs: 60_000,
      });
      expect(await o.depth()).toEqual({ waiting: 2, delayed: 1, active: 0 });
      const gauge = (await metrics.queueDepth.get()).values;
      expect(gauge.find((v) => v.labels.state === 'waiting')?.value).toBe(2);
      expect(gauge.find((v) => v.labels.state === 'delayed')?.value).toBe(1);
      await sleep(50);
      expect(api.received).toHaveLength(0);
    });
  });

  it('the public door builds the same thing', async () => {
    const o = createOutbound({ db: database.db, client: testClient(), mps: 5 });
    open.push(o);
    expect(await o.depth()).toEqual({ waiting: 0, delayed: 0, active: 0 });
  });
});
