import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { budgetUsed } from '../../../src/campaigns/repository/index.js';
import { APP_SECRET, startTestApp, type TestApp } from '../../support/app.js';
import { hasServers } from '../../support/servers.js';
import { signedRequest, textWebhook } from '../../support/webhooks.js';
import { sleep, waitFor } from '../outbound/support.js';
import { act, createCampaign, fakeCloudApi, process, recipientsOf, seed, view } from './support.js';

// WHATSAPP_TIER on real PostgreSQL and Redis: a budget of 3 unique users outside the service window per
// rolling 24 h, two campaigns sharing it, and a clock moved a day ahead to free it.

describe.skipIf(!hasServers)('messaging-limit tier', () => {
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

  it('holds recipients beyond the budget across campaigns and processes, and releases them after 24 h', async () => {
    const api = fakeCloudApi();
    const db = t.database.db;
    let offset = 0;
    const now = () => new Date(Date.now() + offset);
    const first = await seed(db, 4, { name: 'Tier A' }, { period: '2026-10', dueDate: '2026-10-15' });
    const second = await seed(db, 3, { name: 'Tier B' }, { period: '2026-10', dueDate: '2026-10-15' });
    // this one wrote an hour ago: its window is open, so its reminder costs nothing
    const talking = (
      await seed(db, 1, { name: 'Tier open' }, { period: '2026-10', dueDate: '2026-10-15' })
    )[0]!;
    const hello = signedRequest(
      textWebhook({ from: talking.waId, text: 'halo', timestamp: new Date(Date.now() - 3600_000) }),
      APP_SECRET,
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: hello.headers,
      payload: hello.body,
    });
    expect(res.statusCode).toBe(200);
    const a = await createCampaign(t, { audience: { kpj: [...first, talking].map((p) => p.kpj) } });
    const b = await createCampaign(t, { audience: { kpj: second.map((p) => p.kpj) } });

    const one = process(t, { now, messagingLimit: 3 });
    const two = process(t, { now, messagingLimit: 3, prefix: one.prefix });
    open.push(one, two);
    await one.outbound.start();
    await two.outbound.start();
    one.runner.start();
    two.runner.start();
    await act(t, a, 'start');
    await act(t, b, 'start');

    // 3 within the budget, whichever campaign, plus the open-window one; the other 4 wait, not skipped
    await waitFor(() => api.sent.length >= 4, 5000);
    await sleep(1200);
    expect(api.sent).toHaveLength(4);
    expect(api.to(talking.waId)).toHaveLength(1);
    expect(await budgetUsed(db, now())).toBe(3);
    const pending = async () =>
      [...(await recipientsOf(db, a)), ...(await recipientsOf(db, b))].filter((r) => r.status === 'pending')
        .length;
    expect(await pending()).toBe(4);
    expect((await view(t, a)).skippedByReason).toEqual({});
    expect((await view(t, b)).skippedByReason).toEqual({});

    // 23 h later the sends still count; a day after them, 3 more go and 1 still waits
    offset = 23 * 3600_000;
    await sleep(1200);
    expect(api.sent).toHaveLength(4);
    offset = 24 * 3600_000 + 60_000;
    await waitFor(() => api.sent.length >= 7, 5000);
    await sleep(1200);
    expect(api.sent).toHaveLength(7);
    expect(await pending()).toBe(1);
    expect(await budgetUsed(db, now())).toBe(3);

    // and the last the day after
    offset = 48 * 3600_000 + 120_000;
    await waitFor(
      async () => (await view(t, a)).status === 'completed' && (await view(t, b)).status === 'completed',
      5000,
    );
    expect(api.sent).toHaveLength(8);
    expect(new Set(api.sent.map((s) => s.to)).size).toBe(8);
    expect(await budgetUsed(db, now())).toBe(1);
  });
});
