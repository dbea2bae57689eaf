import { createHmac } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts, messageStatuses, messages } from '../../src/db/index.js';
import { APP_SECRET, startTestApp, type TestApp, VERIFY_TOKEN } from '../support/app.js';
import { validateOas } from '../support/openapi.js';
import {
  envelope,
  mediaWebhook,
  randomWamid,
  signedRequest,
  statusWebhook,
  textWebhook,
} from '../support/webhooks.js';

describe('WhatsApp webhook', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_SENDER_RATE_PER_MINUTE: '5' } });
  });
  afterAll(() => t?.close());

  const post = (payload: unknown, secret = APP_SECRET) => {
    const req = signedRequest(payload, secret);
    return t.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: req.headers,
      payload: req.body,
    });
  };
  const countMessages = async () =>
    (await t.database.db.select({ n: sql<number>`count(*)::int` }).from(messages))[0]!.n;

  describe('subscription check', () => {
    it('echoes the challenge as text when the verify token matches', async () => {
      const res = await t.app.inject({
        url: `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('1158201444');
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    });

    it('answers 403 to a wrong or missing token', async () => {
      const wrong = await t.app.inject({
        url: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1',
      });
      expect(wrong.statusCode).toBe(403);
      expect((await t.app.inject({ url: '/webhooks/whatsapp?hub.challenge=1' })).statusCode).toBe(403);
    });
  });

  describe('signature', () => {
    it('answers 401 and records nothing without a signature, or with a wrong one', async () => {
      const before = await countMessages();
      const payload = textWebhook({ from: '6281234567801', text: 'halo' });
      const unsigned = await t.app.inject({
        method: 'POST',
        url: '/webhooks/whatsapp',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
      expect(unsigned.statusCode).toBe(401);
      expect((await post(payload, 'another-secret')).statusCode).toBe(401);
      const tampered = signedRequest(payload, APP_SECRET);
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/whatsapp',
        headers: tampered.headers,
        payload: tampered.body.replace('halo', 'hali'),
      });
      expect(res.statusCode).toBe(401);
      const malformed = await t.app.inject({
        method: 'POST',
        url: '/webhooks/whatsapp',
        headers: { ...tampered.headers, 'x-hub-signature-256': 'sha256=zz' },
        payload: tampered.body,
      });
      expect(malformed.statusCode).toBe(401);
      expect(await countMessages()).toBe(before);
    });

    it('checks the raw bytes, so escaped non-ASCII text verifies', async () => {
      const payload = textWebhook({ from: '6281234567802', text: 'Matur nuwun 🙏 — sampun' });
      const req = signedRequest(payload, APP_SECRET);
      expect(req.body).toContain('\\ud83d');
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/whatsapp',
        headers: req.headers,
        payload: req.body,
      });
      expect(res.statusCode).toBe(200);
      const [row] = await t.database.db
        .select()
        .from(messages)
        .where(eq(messages.contactKey, '6281234567802'));
      expect(row?.text).toBe('Matur nuwun 🙏 — sampun');
    });
  });

  describe('bad input', () => {
    const signedRaw = (body: string) =>
      t.app.inject({
        method: 'POST',
        url: '/webhooks/whatsapp',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`,
        },
        payload: body,
      });

    it('answers 400 to a body that is not JSON, or truncated', async () => {
      expect((await signedRaw('not json')).statusCode).toBe(400);
      const whole = JSON.stringify(textWebhook({ from: '6281234567803', text: 'x' }));
      expect((await signedRaw(whole.slice(0, whole.length - 7))).statusCode).toBe(400);
    });

    it('answers 413 to an oversized body', async () => {
      const res = await signedRaw(
        JSON.stringify({ object: 'whatsapp_business_account', pad: 'x'.repeat(2_000_000) }),
      );
      expect(res.statusCode).toBe(413);
    });

    it('never answers 5xx to shapes it does not know', async () => {
      for (const body of [
        {},
        [],
        42,
        'str',
        null,
        { object: 'page', entry: [] },
        { object: 'whatsapp_business_account' },
      ]) {
        const res = await post(body);
        expect(res.statusCode).toBeLessThan(500);
      }
      const odd = envelope([{ nonsense: true }, { messages: 'not-an-array' }], { field: 'account_alerts' });
      expect((await post(odd)).statusCode).toBe(200);
      const weirdItems = envelope({
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '6281100000000', phone_number_id: '1' },
        messages: [{ id: 5 }, null, 'x'],
        statuses: [{ id: 'wamid.Q', status: 'exploded', timestamp: '1', recipient_id: '1' }],
      });
      expect((await post(weirdItems)).statusCode).toBe(200);
    });
  });

  describe('inbound messages', () => {
    it('records a message before answering and hands it to the engine once, even when the Cloud API retries', async () => {
      const payload = textWebhook({ from: '6281234567804', text: 'Halo, saya mau cek iuran' });
      expect(validateOas('WebhookPayload', payload).valid).toBe(true);
      for (let i = 0; i < 3; i++) expect((await post(payload)).statusCode).toBe(200);
      await t.app.drainBackgroundWork();
      const rows = await t.database.db
        .select()
        .from(messages)
        .where(eq(messages.contactKey, '6281234567804'));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        direction: 'in',
        type: 'text',
        status: 'received',
        text: 'Halo, saya mau cek iuran',
      });
      expect(t.inbound.filter((r) => r.message.contact === '6281234567804')).toHaveLength(1);
      const [contact] = await t.database.db
        .select()
        .from(contacts)
        .where(eq(contacts.contactKey, '6281234567804'));
      expect(contact?.lastInboundAt).toBeInstanceOf(Date);
    });

    it('records unknown and media types instead of dropping them', async () => {
      await post(mediaWebhook({ from: '6281234567805', type: 'sticker' }));
      const strange = envelope({
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '6281100000000', phone_number_id: '106540352242922' },
        contacts: [{ profile: { name: 'X' }, wa_id: '6281234567805' }],
        messages: [
          {
            from: '6281234567805',
            id: randomWamid(),
            timestamp: '1750000000',
            type: 'hologram',
            hologram: {},
          },
        ],
      });
      expect((await post(strange)).statusCode).toBe(200);
      const types = (
        await t.database.db.select().from(messages).where(eq(messages.contactKey, '6281234567805'))
      ).map((r) => r.type);
      expect(types.sort()).toEqual(['hologram', 'sticker']);
    });

    it('keys a sender known only by a business-scoped user id on that id, never as a phone', async () => {
      const bsuid = 'ID.13491208655302741918';
      expect((await post(textWebhook({ from: bsuid, text: 'halo' }))).statusCode).toBe(200);
      const [contact] = await t.database.db.select().from(contacts).where(eq(contacts.contactKey, bsuid));
      expect(contact).toMatchObject({ userId: bsuid, waId: null });
    });

    it('limits each sender and answers 429 past it, so the Cloud API delivers later; others are unaffected', async () => {
      const codes: number[] = [];
      for (let i = 0; i < 7; i++)
        codes.push((await post(textWebhook({ from: '6281234567806', text: `m${i}` }))).statusCode);
      expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(codes.slice(5)).toEqual([429, 429]);
      expect((await post(textWebhook({ from: '6281234567807', text: 'other' }))).statusCode).toBe(200);
      const statuses = Array.from({ length: 8 }, () =>
        statusWebhook([{ wamid: randomWamid(), status: 'sent', recipient: '6281234567806' }]),
      );
      for (const s of statuses) expect((await post(s)).statusCode).toBe(200);
    });
  });

  describe('statuses', () => {
    const outbound = async (wamid: string) => {
      const [row] = await t.database.db
        .insert(messages)
        .values({
          direction: 'out',
          contactKey: '6281234567808',
          wamid,
          type: 'template',
          payload: {},
          status: 'accepted',
        })
        .returning();
      return row!.id;
    };
    const statusOf = async (id: number) =>
      (await t.database.db.select().from(messages).where(eq(messages.id, id)))[0]!;

    it('moves a message only forward: a late delivered never overwrites read', async () => {
      const wamid = randomWamid();
      const id = await outbound(wamid);
      const at = (s: number) => new Date(1_750_000_000_000 + s * 1000);
      await post(statusWebhook([{ wamid, status: 'read', recipient: '6281234567808', timestamp: at(3) }]));
      await post(
        statusWebhook([
          {
            wamid,
            status: 'sent',
            recipient: '6281234567808',
            timestamp: at(1),
            pricing: { category: 'utility', type: 'regular' },
          },
          { wamid, status: 'delivered', recipient: '6281234567808', timestamp: at(2) },
        ]),
      );
      const row = await statusOf(id);
      expect(row.status).toBe('read');
      expect(row.statusHistory.map((h) => h.status)).toEqual(['read', 'sent', 'delivered']);
      expect(row).toMatchObject({ pricingCategory: 'utility', pricingType: 'regular' });
      expect(row.sentAt?.getTime()).toBe(at(1).getTime());
      expect(row.readAt?.getTime()).toBe(at(3).getTime());
    });

    it('processes a retried status once', async () => {
      const wamid = randomWamid();
      const id = await outbound(wamid);
      const payload = statusWebhook([{ wamid, status: 'delivered', recipient: '6281234567808' }]);
      await post(payload);
      await post(payload);
      expect((await statusOf(id)).statusHistory).toHaveLength(1);
      const kept = await t.database.db.select().from(messageStatuses).where(eq(messageStatuses.wamid, wamid));
      expect(kept).toHaveLength(1);
    });

    it('records a failure with its code', async () => {
      const wamid = randomWamid();
      const id = await outbound(wamid);
      await post(
        statusWebhook([
          {
            wamid,
            status: 'failed',
            recipient: '6281234567808',
            errors: [{ code: 131026, title: 'Message undeliverable' }],
          },
        ]),
      );
      expect(await statusOf(id)).toMatchObject({ status: 'failed', errorCode: 131026 });
    });

    it('keeps a status for a wamid not yet known, and finds the row by its callback data', async () => {
      const early = randomWamid();
      await post(statusWebhook([{ wamid: early, status: 'sent', recipient: '6281234567808' }]));
      expect(
        await t.database.db.select().from(messageStatuses).where(eq(messageStatuses.wamid, early)),
      ).toHaveLength(1);
      const [row] = await t.database.db
        .insert(messages)
        .values({
          direction: 'out',
          contactKey: '6281234567808',
          type: 'text',
          payload: {},
          status: 'sending',
        })
        .returning();
      // the send timed out, so the row has no wamid; the status proves the Cloud API accepted it
      const lost = randomWamid();
      await post(
        statusWebhook([
          {
            wamid: lost,
            status: 'delivered',
            recipient: '6281234567808',
            bizOpaqueCallbackData: `msg:${row!.id}`,
          },
        ]),
      );
      expect(await statusOf(row!.id)).toMatchObject({ status: 'delivered', wamid: lost });
      await post(statusWebhook([{ wamid: lost, status: 'read', recipient: '6281234567808' }]));
      expect((await statusOf(row!.id)).status).toBe('read');
    });
  });

  it('answers 5xx when it cannot record, so that the Cloud API delivers again', async () => {
    await t.database.db.execute(sql`alter table messages rename to messages_away`);
    try {
      const res = await post(textWebhook({ from: '6281234567809', text: 'halo' }));
      expect(res.statusCode).toBeGreaterThanOrEqual(500);
    } finally {
      await t.database.db.execute(sql`alter table messages_away rename to messages`);
    }
    expect((await post(textWebhook({ from: '6281234567809', text: 'halo' }))).statusCode).toBe(200);
  });
});
