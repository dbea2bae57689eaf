import { eq } from 'drizzle-orm';
import nock from 'nock';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignRunner } from '../../../src/campaigns/index.js';
import { messageStatuses, outboundStatusCursor, participants } from '../../../src/db/index.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { hasServers } from '../../support/servers.js';
import { waitFor } from '../outbound/support.js';
import {
  act,
  createCampaign,
  fakeCloudApi,
  metric,
  postStatuses,
  process,
  recipientsOf,
  runnerConfig,
  seed,
  view,
} from './support.js';

describe.skipIf(!hasServers)('campaign errors choose the next step', () => {
  let t: TestApp;
  const open: { close(): Promise<void> }[] = [];
  const logged: { msg: string; alert?: boolean }[] = [];

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

  async function run(count: number, name: string, period: string) {
    const api = fakeCloudApi();
    const people = await seed(t.database.db, count, { name }, { period, dueDate: `${period}-15` });
    const id = await createCampaign(t, { audience: { kpj: people.map((p) => p.kpj) } });
    const p = process(t, { mps: 20, inFlight: 4 });
    open.push(p);
    return { api, people, id, p };
  }

  it('131048 pauses the campaign with its reason, raises an alert in the log and /metrics', async () => {
    const { api, people, id, p } = await run(12, 'Quality', '2026-05');
    api.script(people[0]!.waId, { status: 400, code: 131048, title: 'Spam rate limit hit' });
    // the runner's log is the process's logger; here one that keeps its lines
    const log = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    await p.runner.stop();
    const runner = createCampaignRunner({
      db: t.database.db,
      outbound: p.outbound,
      config: runnerConfig({ mps: 20 }),
      metrics: t.metrics,
      log,
      tickMs: 50,
      inFlight: 4,
    });
    open.push({ close: () => runner.stop() });
    await p.outbound.start();
    runner.start();
    await act(t, id, 'start');
    await waitFor(async () => (await view(t, id)).status === 'paused');
    const v = await view(t, id);
    expect(v.pauseReason).toBe('WhatsApp error 131048: Spam rate limit hit');
    expect(v.failuresByCode).toEqual({ '131048': 1 });
    expect(api.sent.length).toBeLessThan(12);
    expect(logged.some((l) => l.alert && l.msg.includes('131048'))).toBe(true);
    expect(await metric(t.metrics, 'campaignAlerts', { reason: '131048' })).toBe(1);
    const scrape = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(scrape.body).toContain('tagih_campaign_alerts_total{reason="131048"} 1');
  });

  it('a status billed in another category than the registry says pauses the campaign and says why', async () => {
    // enough reminders that the campaign still runs when the status is read (a finished one has nothing to pause)
    const { api, id, p } = await run(40, 'Category', '2026-04');
    await p.outbound.start();
    p.runner.start();
    await act(t, id, 'start');
    await waitFor(() => api.sent.length >= 1);
    const first = api.sent[0]!;
    await postStatuses(t, [
      {
        wamid: first.wamid!,
        status: 'sent',
        recipient: first.to,
        pricing: { category: 'marketing', type: 'regular' },
      },
    ]);
    await waitFor(async () => (await view(t, id)).status === 'paused');
    expect((await view(t, id)).pauseReason).toBe(
      'Meta billed template iuran_reminder as marketing; the registry says utility',
    );
    expect(await metric(t.metrics, 'campaignAlerts', { reason: 'category_mismatch' })).toBe(1);
  });

  it("a status that beats the Cloud API's answer, and is read past before the wamid is stored, still pauses", async () => {
    const { api, people, id, p } = await run(4, 'Early', '2026-02');
    const release = api.hold(people[0]!.waId);
    await p.outbound.start();
    p.runner.start();
    await act(t, id, 'start');
    await waitFor(() => api.to(people[0]!.waId).length === 1);
    const first = api.to(people[0]!.waId)[0]!;
    await postStatuses(t, [
      {
        wamid: first.wamid!,
        status: 'sent',
        recipient: first.to,
        pricing: { category: 'marketing', type: 'regular' },
      },
    ]);
    const [status] = await t.database.db
      .select({ id: messageStatuses.id })
      .from(messageStatuses)
      .where(eq(messageStatuses.wamid, first.wamid!));
    // the follower reads past the status while the answer is still on its way
    await waitFor(async () => {
      const [cursor] = await t.database.db.select().from(outboundStatusCursor);
      return (cursor?.lastStatusId ?? 0) >= status!.id;
    });
    expect((await view(t, id)).status).toBe('running');
    release();
    await waitFor(async () => (await view(t, id)).status === 'paused');
    expect((await view(t, id)).pauseReason).toBe(
      'Meta billed template iuran_reminder as marketing; the registry says utility',
    );
  });

  it('131026 in a status marks the number unreachable; 131049 tries again the next day', async () => {
    const { api, people, id, p } = await run(3, 'Async', '2026-03');
    await p.outbound.start();
    p.runner.start();
    await act(t, id, 'start');
    await waitFor(() => api.sent.length === 3);
    // the statuses come after the Cloud API's answer was recorded, as they do in production
    await waitFor(async () => (await recipientsOf(t.database.db, id)).every((r) => r.settledAt !== null));
    const [a, b] = [api.to(people[0]!.waId)[0]!, api.to(people[1]!.waId)[0]!];
    await postStatuses(t, [
      {
        wamid: a.wamid!,
        status: 'failed',
        recipient: a.to,
        errors: [{ code: 131026, title: 'Message undeliverable' }],
      },
      {
        wamid: b.wamid!,
        status: 'failed',
        recipient: b.to,
        errors: [{ code: 131049, title: 'Ecosystem engagement' }],
      },
    ]);
    await waitFor(async () => {
      const [row] = await t.database.db.select().from(participants).where(eq(participants.id, people[0]!.id));
      return row!.whatsappUnreachableAt !== null;
    });
    await waitFor(async () => {
      const r = (await recipientsOf(t.database.db, id)).find((x) => x.participantId === people[1]!.id)!;
      return r.status === 'pending';
    });
    const retry = (await recipientsOf(t.database.db, id)).find((x) => x.participantId === people[1]!.id)!;
    expect(retry.attempts).toBe(1);
    expect(retry.notBefore!.getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);
    const v = await view(t, id);
    expect(v.status).toBe('running');
    expect(v.failuresByCode).toEqual({ '131026': 1 });
  });

  it('131056 slows only that recipient; the others go on', async () => {
    const { api, people, id, p } = await run(8, 'Pair', '2026-02');
    const slow = people[0]!.waId;
    api.script(
      slow,
      { status: 400, code: 131056, title: 'Pair rate limit' },
      { status: 400, code: 131056, title: 'Pair rate limit' },
    );
    await p.outbound.start();
    p.runner.start();
    await act(t, id, 'start');
    await waitFor(async () => (await view(t, id)).status === 'completed');
    expect(api.to(slow)).toHaveLength(3);
    expect(api.sent).toHaveLength(10);
    const v = await view(t, id);
    expect(v.stats).toMatchObject({ sent: 8, failed: 0 });
  });
});
