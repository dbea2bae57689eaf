import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { hasServers } from '../../support/servers.js';
import { sleep, waitFor } from '../outbound/support.js';
import { act, createCampaign, fakeCloudApi, metric, process, recipientsOf, seed, view } from './support.js';

describe.skipIf(!hasServers)('campaign control: pause, resume, cancel, quiet hours', () => {
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

  it('pause stops new sends within a second, resume continues, and each is sent once', async () => {
    const api = fakeCloudApi();
    const people = await seed(
      t.database.db,
      30,
      { name: 'Pause' },
      { period: '2026-08', dueDate: '2026-08-15' },
    );
    const id = await createCampaign(t, { audience: { kpj: people.map((p) => p.kpj) } });
    const p = process(t, { mps: 10, inFlight: 5 });
    open.push(p);
    await p.outbound.start();
    p.runner.start();
    await act(t, id, 'start');
    await waitFor(() => api.sent.length >= 5);
    expect(await act(t, id, 'pause')).toEqual({ statusCode: 202, body: { id, status: 'paused' } });
    const pausedAt = Date.now();
    await sleep(1000);
    const afterSecond = api.sent.length;
    expect(api.sent.filter((s) => s.at > pausedAt + 1000)).toHaveLength(0);
    await sleep(700);
    expect(api.sent.length).toBe(afterSecond);
    expect(afterSecond).toBeLessThan(30);
    expect((await view(t, id)).pauseReason).toMatch(/^paused by /);

    expect(await act(t, id, 'resume')).toEqual({ statusCode: 202, body: { id, status: 'running' } });
    await waitFor(async () => (await view(t, id)).status === 'completed', 10_000);
    expect(api.sent).toHaveLength(30);
    expect(new Set(api.sent.map((s) => s.to)).size).toBe(30);
    expect((await view(t, id)).stats).toMatchObject({ queued: 30, sent: 30, skipped: 0 });
  });

  it('cancel drops what is queued and what is pending, counted as skipped', async () => {
    const api = fakeCloudApi();
    const people = await seed(
      t.database.db,
      20,
      { name: 'Cancel' },
      { period: '2026-07', dueDate: '2026-07-15' },
    );
    const id = await createCampaign(t, { audience: { kpj: people.map((p) => p.kpj) } });
    const p = process(t, { mps: 5, inFlight: 5 });
    open.push(p);
    await p.outbound.start();
    p.runner.start();
    await act(t, id, 'start');
    await waitFor(() => api.sent.length >= 3);
    expect(await act(t, id, 'cancel')).toEqual({ statusCode: 202, body: { id, status: 'cancelled' } });
    await sleep(1200);
    const sent = api.sent.length;
    await sleep(500);
    expect(api.sent.length).toBe(sent);
    const v = await view(t, id);
    expect(v.status).toBe('cancelled');
    expect(v.stats.sent).toBe(sent);
    expect(v.stats.skipped).toBe(20 - sent);
    expect(v.skippedByReason).toEqual({ cancelled: 20 - sent });
    expect(await metric(t.metrics, 'campaignSkips', { reason: 'cancelled' })).toBeGreaterThanOrEqual(
      20 - sent,
    );
    expect((await act(t, id, 'start')).statusCode).toBe(409);
  });

  it('holds reminders during quiet hours and sends them when the window ends', async () => {
    const api = fakeCloudApi();
    const people = await seed(
      t.database.db,
      3,
      { name: 'Quiet' },
      { period: '2026-06', dueDate: '2026-06-15' },
    );
    const id = await createCampaign(t, { audience: { kpj: people.map((p) => p.kpj) } });
    // a clock 2.5 s before 08:00 WIB, when quiet hours 20:00-08:00 end
    const ends = new Date('2026-11-10T08:00:00+07:00').getTime();
    const offset = ends - 2500 - Date.now();
    const started = Date.now();
    const p = process(t, {
      quietHours: { start: 20 * 60, end: 8 * 60 },
      now: () => new Date(Date.now() + offset),
    });
    open.push(p);
    await p.outbound.start();
    p.runner.start();
    await act(t, id, 'start');
    await sleep(1500);
    expect(api.sent).toHaveLength(0);
    expect((await recipientsOf(t.database.db, id)).every((r) => r.status === 'pending')).toBe(true);
    await waitFor(async () => (await view(t, id)).status === 'completed', 6000);
    expect(api.sent).toHaveLength(3);
    expect(Math.min(...api.sent.map((s) => s.at))).toBeGreaterThanOrEqual(started + 2400);
  });
});
