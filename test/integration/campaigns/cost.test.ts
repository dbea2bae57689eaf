import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignRecipients, campaigns, messages } from '../../../src/db/index.js';
import { APP_SECRET, adminHeaders, startTestApp, type TestApp } from '../../support/app.js';
import { randomWamid, signedRequest, statusWebhook } from '../../support/webhooks.js';
import { seed } from './support.js';

// The bill WhatsApp sends: campaign reminders and the bot's own replies (charged since October 2026),
// from the pricing each status webhook reports, at the configured rate card.
describe('messaging cost', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PRICE_IDR_UTILITY: '400', PRICE_IDR_SERVICE: '300' } });
  });
  afterAll(() => t?.close());

  /** A reminder of a campaign, as the campaign's message names it. */
  const reminder = async () => {
    const db = t.database.db;
    const [who] = await seed(db, 1);
    const [campaign] = await db
      .insert(campaigns)
      .values({
        name: 'cost',
        templateName: 'iuran_reminder',
        templateLanguage: 'id',
        templateCategory: 'utility',
        audience: {},
      })
      .returning({ id: campaigns.id });
    const [r] = await db
      .insert(campaignRecipients)
      .values({ campaignId: campaign!.id, participantId: who!.id, billId: who!.billId, status: 'queued' })
      .returning({ id: campaignRecipients.id });
    return { originKind: 'campaign' as const, campaignRecipientId: r!.id, campaignAttempt: 0 };
  };

  const sent = async (priority: 'reply' | 'blast', pricing: { category: string; type: string }) => {
    const wamid = randomWamid();
    const origin = priority === 'blast' ? await reminder() : { originKind: 'reply' as const };
    await t.database.db.insert(messages).values({
      direction: 'out',
      contactKey: '6281234569001',
      wamid,
      type: priority === 'blast' ? 'template' : 'text',
      payload: {},
      status: 'accepted',
      priority,
      ...origin,
    });
    const req = signedRequest(
      statusWebhook([{ wamid, status: 'sent', recipient: '6281234569001', pricing }]),
      APP_SECRET,
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: req.headers,
      payload: req.body,
    });
    expect(res.statusCode).toBe(200);
  };

  it('costs campaign reminders and conversation replies apart, and free messages at nothing', async () => {
    await sent('blast', { category: 'utility', type: 'regular' });
    await sent('blast', { category: 'utility', type: 'regular' });
    await sent('reply', { category: 'service', type: 'regular' });
    await sent('reply', { category: 'utility', type: 'free_customer_service' });
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta' }).format(new Date());
    const res = await t.app.inject({ url: `/api/costs?from=${today}&to=${today}`, headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      campaigns: { billed: 2, idr: 800 },
      conversations: { billed: 1, idr: 300 },
      byOrigin: { campaign: { billed: 2, idr: 800 }, reply: { billed: 1, idr: 300 } },
      byCategory: { utility: { billed: 2, idr: 800 }, service: { billed: 1, idr: 300 } },
      totalIdr: 1100,
    });
    const yesterday = await t.app.inject({
      url: '/api/costs?from=2020-01-01&to=2020-01-31',
      headers: adminHeaders,
    });
    expect(yesterday.json()).toMatchObject({ totalIdr: 0 });
  });

  it('refuses a range that ends before it starts, or a bad date', async () => {
    expect(
      (await t.app.inject({ url: '/api/costs?from=2026-11-10&to=2026-11-01', headers: adminHeaders }))
        .statusCode,
    ).toBe(400);
    expect(
      (await t.app.inject({ url: '/api/costs?from=yesterday&to=2026-11-01', headers: adminHeaders }))
        .statusCode,
    ).toBe(400);
  });
});
