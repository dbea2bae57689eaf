import { Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { campaigns } from '../../../src/db/index.js';
import { adminHeaders, startTestApp, type TestApp } from '../../support/app.js';
import { hasServers, TEST_REDIS_URL } from '../../support/servers.js';
import { sleep, waitFor } from '../outbound/support.js';
import { act, createCampaign, fakeCloudApi, process, recipientsOf, seed, view } from './support.js';

// Standing schedules on real PostgreSQL and Redis, with an injected clock: a day passes in a line.

/** A clock the test moves by hand, read by every runner of a test. */
function clock(iso: string) {
  let at = new Date(iso);
  return { now: () => at, set: (next: string) => (at = new Date(next)) };
}

describe.skipIf(!hasServers)('standing schedules', () => {
  let t: TestApp;
  const open: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    t = await startTestApp();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
    nock.cleanAll();
  });
  afterAll(async () => {
    await t?.close();
    nock.enableNetConnect();
  });

  const pay = async (kpj: string, period: string, reference: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/payments',
      headers: adminHeaders,
      payload: {
        payments: [
          { reference, kpj, period, amount: 36_800, paidAt: new Date().toISOString(), channel: 'bank' },
        ],
      },
    });
    expect(res.json()).toMatchObject({ recorded: 1 });
  };

  it('sends each bill on its day exactly once across two processes and repeated runs, never after payment', async () => {
    const api = fakeCloudApi();
    const db = t.database.db;
    const c = clock('2026-11-12T08:00:00+07:00');
    // H-3 at 09:00: due 15 Nov is reminded on the 12th, due 16 Nov on the 13th, due 20 Nov not in these days
    const [onTwelfth, paidFirst] = await seed(db, 2, {}, { period: '2026-11', dueDate: '2026-11-15' });
    const [onThirteenth] = await seed(db, 1, {}, { period: '2026-11', dueDate: '2026-11-16' });
    const [later] = await seed(db, 1, {}, { period: '2026-11', dueDate: '2026-11-20' });
    const people = [onTwelfth!, paidFirst!, onThirteenth!, later!];
    const id = await createCampaign(t, {
      audience: { kpj: people.map((p) => p.kpj) },
      schedule: { dueDateOffsetDays: -3, time: '09:00' },
    });
    expect(await act(t, id, 'start')).toEqual({ statusCode: 202, body: { id, status: 'running' } });

    // two processes on one queue, each with its runner and the job schedulers in Redis
    const a = process(t, { now: c.now, jobSchedulers: true });
    const b = process(t, { now: c.now, jobSchedulers: true, prefix: a.prefix });
    open.push(a, b);
    await a.outbound.start();
    await b.outbound.start();
    a.runner.start();
    b.runner.start();

    // before 09:00 nothing is due; a bill paid before its day never gets its reminder
    await sleep(300);
    expect(await recipientsOf(db, id)).toHaveLength(0);
    await pay(paidFirst!.kpj, '2026-11', 'SCH-PAID-1');

    // one schedule in Redis for both processes, daily at 09:00 in the business time zone
    const connection = new Redis(TEST_REDIS_URL!, { maxRetriesPerRequest: null });
    const queue = new Queue('campaign-due', { connection, prefix: a.prefix });
    try {
      await waitFor(async () => (await queue.getJobSchedulers()).length === 1, 3000);
      const [scheduler] = await queue.getJobSchedulers();
      expect(scheduler).toMatchObject({
        key: `campaign-due:${id}`,
        pattern: '0 9 * * *',
        tz: 'Asia/Jakarta',
      });

      // 09:00: the loops of both processes, their job workers (fired twice here, as two firings would)
      // and direct runs all race for the day's point
      c.set('2026-11-12T09:00:05+07:00');
      await Promise.all([
        queue.add('due', { campaignId: id }),
        queue.add('due', { campaignId: id }),
        a.runner.runDue(id),
        b.runner.runDue(id),
        a.runner.tick(),
        b.runner.tick(),
      ]);
      await waitFor(() => api.sent.length >= 1, 5000);
      await waitFor(async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= 2, 5000);
      await sleep(500);
      expect(api.sent.map((s) => s.to)).toEqual([onTwelfth!.waId]);
      const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id));
      expect(row!.lastRunOn).toBe('2026-11-12');

      // the rest of the day: more runs, nothing more
      c.set('2026-11-12T15:00:00+07:00');
      await Promise.all([a.runner.runDue(id), b.runner.runDue(id), a.runner.tick()]);
      await sleep(300);
      expect(api.sent).toHaveLength(1);

      // the next day: the next bill's point, and not the same bill again (still unpaid)
      c.set('2026-11-13T09:01:00+07:00');
      await waitFor(() => api.sent.length >= 2, 5000);
      await sleep(500);
      expect(api.sent.map((s) => s.to)).toEqual([onTwelfth!.waId, onThirteenth!.waId]);
      expect(api.to(later!.waId)).toHaveLength(0);
      expect(api.to(paidFirst!.waId)).toHaveLength(0);
      const v = await view(t, id);
      expect(v.status).toBe('running');
      expect(v.stats).toMatchObject({ sent: 2, skipped: 0 });
      expect(await recipientsOf(db, id)).toHaveLength(2);
      await act(t, id, 'cancel');
    } finally {
      await queue.close();
      await connection.quit();
    }
  });

  it('catches up a point missed while the service was down, later the same day, once', async () => {
    const api = fakeCloudApi();
    const db = t.database.db;
    const c = clock('2026-12-03T08:30:00+07:00');
    const people = await seed(db, 3, {}, { period: '2026-12', dueDate: '2026-12-01' });
    // H+2 at 09:00
    const id = await createCampaign(t, {
      audience: { kpj: people.map((p) => p.kpj) },
      schedule: { dueDateOffsetDays: 2, time: '09:00' },
    });
    await act(t, id, 'start');

    // up before the point, then down over 09:00
    const first = process(t, { now: c.now });
    await first.outbound.start();
    first.runner.start();
    await sleep(200);
    await first.close();
    expect(await recipientsOf(db, id)).toHaveLength(0);

    // back at 14:00: the missed point goes out at once
    c.set('2026-12-03T14:00:00+07:00');
    const second = process(t, { now: c.now });
    open.push(second);
    await second.outbound.start();
    second.runner.start();
    await waitFor(() => api.sent.length >= 3, 5000);
    await second.close();
    open.splice(0);

    // another restart the same day, and the next morning: nothing more
    c.set('2026-12-03T16:00:00+07:00');
    const third = process(t, { now: c.now });
    open.push(third);
    await third.outbound.start();
    third.runner.start();
    await sleep(400);
    c.set('2026-12-04T09:30:00+07:00');
    await sleep(400);
    expect(api.sent).toHaveLength(3);
    expect(new Set(api.sent.map((s) => s.to))).toEqual(new Set(people.map((p) => p.waId)));
    await act(t, id, 'cancel');
  });

  it('pause holds the day, resume catches it up, cancel ends the schedule', async () => {
    const api = fakeCloudApi();
    const db = t.database.db;
    const c = clock('2027-01-08T08:00:00+07:00');
    const [first] = await seed(db, 1, {}, { period: '2027-01', dueDate: '2027-01-15' });
    const [second] = await seed(db, 1, {}, { period: '2027-01', dueDate: '2027-01-16' });
    const id = await createCampaign(t, {
      audience: { kpj: [first!.kpj, second!.kpj] },
      schedule: { dueDateOffsetDays: -7, time: '09:00' },
    });
    await act(t, id, 'start');
    const p = process(t, { now: c.now, jobSchedulers: true });
    open.push(p);
    await p.outbound.start();
    p.runner.start();
    const connection = new Redis(TEST_REDIS_URL!, { maxRetriesPerRequest: null });
    const queue = new Queue('campaign-due', { connection, prefix: p.prefix });
    try {
      await waitFor(async () => (await queue.getJobScheduler(`campaign-due:${id}`)) !== undefined, 3000);
      expect(await act(t, id, 'pause')).toMatchObject({ statusCode: 202 });
      c.set('2027-01-08T09:00:00+07:00');
      await p.runner.runDue(id);
      await sleep(300);
      expect(await recipientsOf(db, id)).toHaveLength(0);

      c.set('2027-01-08T10:00:00+07:00');
      expect(await act(t, id, 'resume')).toMatchObject({ statusCode: 202 });
      await waitFor(() => api.sent.length >= 1, 5000);
      expect(api.sent.map((s) => s.to)).toEqual([first!.waId]);

      expect(await act(t, id, 'cancel')).toEqual({ statusCode: 202, body: { id, status: 'cancelled' } });
      c.set('2027-01-09T09:05:00+07:00');
      await p.runner.runDue(id);
      await sleep(400);
      expect(api.sent).toHaveLength(1);
      expect(await recipientsOf(db, id)).toHaveLength(1);
      // the next sync (every 30 s in each process) drops a stopped campaign's scheduler; this process's
      // own set changed, so its next tick already did
      await waitFor(async () => (await queue.getJobScheduler(`campaign-due:${id}`)) === undefined, 3000);
    } finally {
      await queue.close();
      await connection.quit();
    }
  });

  it('accepts a standing schedule and refuses a malformed one', async () => {
    const post = (schedule: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/campaigns',
        headers: adminHeaders,
        payload: { name: 'H-3', template: { name: 'iuran_reminder', language: 'id' }, schedule },
      });
    const ok = await post({ dueDateOffsetDays: -3, time: '09:00' });
    expect(ok.statusCode).toBe(201);
    expect((await post({ dueDateOffsetDays: -3, time: '9:00' })).statusCode).toBe(400);
    expect((await post({ dueDateOffsetDays: 1.5, time: '09:00' })).statusCode).toBe(400);
  });
});
