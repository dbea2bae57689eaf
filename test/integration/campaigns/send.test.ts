import { eq, inArray } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { campaignRecipients, consents, handoffs, messages, participants } from '../../../src/db/index.js';
import { APP_SECRET, adminHeaders, startTestApp, type TestApp } from '../../support/app.js';
import { hasServers } from '../../support/servers.js';
import { buttonWebhook, signedRequest } from '../../support/webhooks.js';
import { sleep, waitFor } from '../outbound/support.js';
import {
  act,
  createCampaign,
  fakeCloudApi,
  messageIdOf,
  metric,
  postStatuses,
  process,
  recipientsOf,
  seed,
  view,
} from './support.js';

describe.skipIf(!hasServers)('campaign sending', () => {
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

  it('sends one reminder per recipient from two processes, and counts the funnel whatever the order of statuses', async () => {
    const api = fakeCloudApi();
    const db = t.database.db;
    const people = await seed(db, 30, { category: 'PU', language: 'en' });
    const failing = people[0]!;
    api.script(failing.waId, { status: 400, code: 131026, title: 'Message undeliverable' });
    // two processes on one queue, each with its own runner
    const a = process(t);
    const b = process(t, { prefix: a.prefix });
    open.push(a, b);
    const id = await createCampaign(t, {
      template: { name: 'iuran_reminder', language: 'id' },
      audience: { category: 'PU' },
    });
    await a.outbound.start();
    await b.outbound.start();
    a.runner.start();
    b.runner.start();
    expect(await act(t, id, 'start')).toEqual({ statusCode: 202, body: { id, status: 'running' } });
    await waitFor(async () => (await view(t, id)).status === 'completed', 15_000);

    // one request per participant, in their language, with the template's parameters and buttons
    expect(api.sent).toHaveLength(30);
    expect(new Set(api.sent.map((s) => s.to)).size).toBe(30);
    const first = api.to(people[1]!.waId)[0]!.body as {
      template: {
        name: string;
        language: { code: string };
        components: { parameters: { text?: string; payload?: string }[] }[];
      };
      biz_opaque_callback_data: string;
    };
    expect(first.template.name).toBe('iuran_reminder');
    expect(first.template.language.code).toBe('en');
    expect(first.template.components[0]!.parameters.map((p) => p.text)).toEqual([
      'Peserta 1',
      'Rp36.800',
      'November 2026',
      '15 November 2026',
    ]);
    expect(first.template.components.slice(1).map((c) => c.parameters[0]!.payload)).toEqual([
      'BILL',
      'PAY',
      'STOP',
    ]);
    const recipients = await recipientsOf(db, id);
    expect(recipients).toHaveLength(30);
    const rowOf = (p: { id: number }) => recipients.find((r) => r.participantId === p.id)!;
    expect(first.biz_opaque_callback_data).toBe(`msg:${await messageIdOf(db, rowOf(people[1]!))}`);

    // the permanent failure: failed once, counted by code, the number marked unreachable
    expect(api.to(failing.waId)).toHaveLength(1);
    const [unreachable] = await db.select().from(participants).where(eq(participants.id, failing.id));
    expect(unreachable!.whatsappUnreachableAt).not.toBeNull();

    // statuses out of order: read before delivered, read with no delivered, a late sent after read
    const wamidOf = (i: number) => api.to(people[i]!.waId)[0]!.wamid!;
    const to = (i: number) => people[i]!.waId;
    const at = (s: number) => new Date(Date.now() + s * 1000);
    await postStatuses(t, [
      { wamid: wamidOf(1), status: 'read', recipient: to(1), timestamp: at(3) },
      { wamid: wamidOf(1), status: 'delivered', recipient: to(1), timestamp: at(2) },
      {
        wamid: wamidOf(2),
        status: 'read',
        recipient: to(2),
        timestamp: at(3),
        pricing: { category: 'utility', type: 'regular' },
      },
      {
        wamid: wamidOf(3),
        status: 'delivered',
        recipient: to(3),
        timestamp: at(2),
        pricing: { category: 'utility', type: 'regular' },
      },
      {
        wamid: wamidOf(3),
        status: 'sent',
        recipient: to(3),
        timestamp: at(1),
        pricing: { category: 'utility', type: 'regular' },
      },
      { wamid: wamidOf(4), status: 'sent', recipient: to(4), timestamp: at(1) },
    ]);
    // 1 taps a button after the reminder; 2 pays after it; 3 opts out after it
    const tap = signedRequest(
      buttonWebhook({ from: to(1), payload: 'BILL', title: 'My bill', timestamp: at(5) }),
      APP_SECRET,
    );
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/webhooks/whatsapp',
          headers: tap.headers,
          payload: tap.body,
        })
      ).statusCode,
    ).toBe(200);
    const pay = await t.app.inject({
      method: 'POST',
      url: '/api/payments',
      headers: adminHeaders,
      payload: {
        payments: [
          {
            reference: 'REF-1',
            kpj: people[2]!.kpj,
            period: '2026-11',
            amount: 36_800,
            paidAt: at(10).toISOString(),
            channel: 'bri',
          },
        ],
      },
    });
    expect(pay.statusCode).toBe(200);
    await db.insert(consents).values({
      participantId: people[3]!.id,
      action: 'opt_out',
      source: 'whatsapp_keyword',
      createdAt: at(10),
    });

    const v = await view(t, id);
    expect(v.audienceSize).toBe(30);
    expect(v.stats).toEqual({
      queued: 30,
      sent: 29,
      delivered: 3,
      read: 2,
      failed: 1,
      skipped: 0,
      replied: 1,
      optedOut: 1,
      paid: 1,
    });
    expect(v.failuresByCode).toEqual({ '131026': 1 });
    expect(v.costIdr).toBe(2 * 410);
    // each message row belongs to one recipient
    const ids = (await Promise.all(recipients.map((r) => messageIdOf(db, r)))).map((m) => m!);
    const rows = await db.select({ id: messages.id }).from(messages).where(inArray(messages.id, ids));
    expect(rows).toHaveLength(30);
  });

  it('skips a reminder whose bill was paid, whose participant opted out or is with an officer, between queueing and sending', async () => {
    const api = fakeCloudApi();
    const db = t.database.db;
    const people = await seed(
      db,
      4,
      { category: 'BPU', name: 'Skip' },
      { period: '2026-10', dueDate: '2026-10-15' },
    );
    const id = await createCampaign(t, { audience: { kpj: people.map((p) => p.kpj) } });
    // process A queues but does not send; its messages wait in the queue
    const a = process(t);
    open.push(a);
    a.runner.start();
    expect((await act(t, id, 'start')).statusCode).toBe(202);
    await waitFor(async () => {
      const linked = await Promise.all((await recipientsOf(db, id)).map((r) => messageIdOf(db, r)));
      return linked.length === 4 && linked.every((m) => m !== null);
    });

    const pay = await t.app.inject({
      method: 'POST',
      url: '/api/payments',
      headers: adminHeaders,
      payload: {
        payments: [
          {
            reference: 'REF-SKIP',
            kpj: people[0]!.kpj,
            period: '2026-10',
            amount: 36_800,
            paidAt: new Date().toISOString(),
            channel: 'dana',
          },
        ],
      },
    });
    expect(pay.json()).toMatchObject({ recorded: 1 });
    await db.update(participants).set({ optedOut: true }).where(eq(participants.id, people[1]!.id));
    await db
      .insert(handoffs)
      .values({ contactKey: people[2]!.waId, participantId: people[2]!.id, reason: 'agent' });

    // process B takes the queue over and sends
    await a.runner.stop();
    const b = process(t, { prefix: a.prefix });
    open.push(b);
    await b.outbound.start();
    b.runner.start();
    await waitFor(async () => (await view(t, id)).status === 'completed');
    expect(api.sent.map((s) => s.to)).toEqual([people[3]!.waId]);
    // the skips are written by the sender's guard as each message comes up, which can trail 'completed'
    await waitFor(async () => (await view(t, id)).stats.skipped === 3, 5_000);
    const v = await view(t, id);
    expect(v.stats).toMatchObject({ queued: 1, sent: 1, skipped: 3 });
    expect(v.skippedByReason).toEqual({ paid: 1, opted_out: 1, handoff: 1 });
    expect(await metric(t.metrics, 'campaignSkips', { reason: 'handoff' })).toBe(1);
  });

  it('a process stopped mid-blast and a new one started miss nobody and send nobody twice', async () => {
    const api = fakeCloudApi();
    const db = t.database.db;
    const people = await seed(
      db,
      40,
      { category: 'BPU', name: 'Restart' },
      { period: '2026-09', dueDate: '2026-09-15' },
    );
    const id = await createCampaign(t, { audience: { kpj: people.map((p) => p.kpj) } });
    const first = process(t, { mps: 20, inFlight: 10 });
    await first.outbound.start();
    first.runner.start();
    await act(t, id, 'start');
    await waitFor(() => api.sent.length >= 10);
    await first.close();
    const sentBefore = api.sent.length;
    expect(sentBefore).toBeLessThan(40);
    await sleep(100);
    const second = process(t, { prefix: first.prefix, mps: 50 });
    open.push(second);
    await second.outbound.start();
    second.runner.start();
    await waitFor(async () => (await view(t, id)).status === 'completed', 15_000);
    expect(api.sent).toHaveLength(40);
    expect(new Set(api.sent.map((s) => s.to)).size).toBe(40);
    const rs = await db.select().from(campaignRecipients).where(eq(campaignRecipients.campaignId, id));
    expect(rs.every((r) => r.status === 'queued' && r.settledAt !== null)).toBe(true);
  });
  it('keeps a random, recorded holdout unsent and compares who paid within N days', async () => {
    const api = fakeCloudApi();
    const db = t.database.db;
    const people = await seed(db, 40, { name: 'Holdout' }, { period: '2026-01', dueDate: '2026-01-15' });
    const id = await createCampaign(t, { audience: { kpj: people.map((p) => p.kpj) }, holdoutPercent: 50 });
    const p = process(t);
    open.push(p);
    await p.outbound.start();
    p.runner.start();
    await act(t, id, 'start');
    await waitFor(async () => (await view(t, id)).status === 'completed');
    const rs = await recipientsOf(db, id);
    const held = rs.filter((r) => r.holdout);
    expect(held.length).toBeGreaterThan(5);
    expect(held.length).toBeLessThan(35);
    const heldMessages = await Promise.all(held.map((r) => messageIdOf(db, r)));
    expect(held.every((r, n) => r.status === 'holdout' && heldMessages[n] === null)).toBe(true);
    expect(api.sent).toHaveLength(40 - held.length);
    // one of each group pays tomorrow
    const sentOne = people.find((x) => rs.find((r) => r.participantId === x.id && !r.holdout))!;
    const heldOne = people.find((x) => rs.find((r) => r.participantId === x.id && r.holdout))!;
    const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString();
    await t.app.inject({
      method: 'POST',
      url: '/api/payments',
      headers: adminHeaders,
      payload: {
        payments: [sentOne, heldOne].map((x, i) => ({
          reference: `REF-H${i}`,
          kpj: x.kpj,
          period: '2026-01',
          amount: 36_800,
          paidAt: tomorrow,
          channel: 'bri',
        })),
      },
    });
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/campaigns/${id}/impact?days=7`,
      headers: adminHeaders,
    });
    expect(res.statusCode).toBe(200);
    const impact = res.json();
    expect(impact.sent).toEqual({ n: 40 - held.length, paid: 1 });
    expect(impact.holdout).toEqual({ n: held.length, paid: 1 });
    expect(impact.uplift).toBeCloseTo(1 / (40 - held.length) - 1 / held.length, 10);
    expect(impact.ci95[0]).toBeLessThan(impact.uplift);
    const none = await t.app.inject({
      method: 'GET',
      url: `/api/campaigns/${id}/impact?days=0`,
      headers: adminHeaders,
    });
    expect(none.statusCode).toBe(400);
  });
});
