import { describe, expect, it } from 'vitest';
import { parseWebhook, verifySignature } from '../../../src/whatsapp/index.js';
import { validateOas } from '../../support/openapi.js';
import {
  buttonReplyWebhook,
  buttonWebhook,
  envelope,
  listReplyWebhook,
  mediaWebhook,
  signedRequest,
  statusWebhook,
  TEST_PHONE_NUMBER_ID,
  textWebhook,
} from '../../support/webhooks.js';

const FROM = '6281234567890';

function expectOasValid(payload: unknown): void {
  expect(validateOas('WebhookPayload', payload).errors).toBe('');
}

function parse(payload: unknown) {
  const r = parseWebhook(payload);
  if (!r.ok) throw new Error(r.error);
  expect(r.webhook.skipped).toEqual([]);
  return r.webhook;
}

describe('webhook builders produce what Meta sends (OAS WebhookPayload)', () => {
  it('textWebhook', () => {
    const payload = textWebhook({
      from: FROM,
      text: 'Halo, sudah bayar',
      name: 'Budi',
      timestamp: 1750000000,
    });
    expectOasValid(payload);
    expect(parse(payload).messages[0]).toMatchObject({
      contact: FROM,
      waId: FROM,
      profileName: 'Budi',
      phoneNumberId: TEST_PHONE_NUMBER_ID,
      type: 'text',
      text: 'Halo, sudah bayar',
      timestamp: new Date(1750000000 * 1000),
    });
  });

  it('textWebhook with a phone and a user id (mixed) validates and keys on the phone', () => {
    const payload = textWebhook({ from: FROM, text: 'x', userId: 'ID.13491208655302741918' });
    expectOasValid(payload);
    expect(parse(payload).messages[0]).toMatchObject({ contact: FROM, userId: 'ID.13491208655302741918' });
  });

  it('textWebhook from a BSUID has no phone anywhere (OAS v23 requires from, so it is not validated)', () => {
    const payload = textWebhook({ from: 'ID.13491208655302741918', text: 'x' });
    expect(JSON.stringify(payload)).not.toMatch(/"from"|"wa_id"/);
    const m = parse(payload).messages[0];
    expect(m).toMatchObject({ contact: 'ID.13491208655302741918', userId: 'ID.13491208655302741918' });
    expect(m?.waId).toBeUndefined();
  });

  it('buttonWebhook (template quick reply)', () => {
    const payload = buttonWebhook({
      from: FROM,
      payload: 'PAID:42',
      title: 'Sudah bayar',
      contextWamid: 'wamid.T',
    });
    expectOasValid(payload);
    expect(parse(payload).messages[0]).toMatchObject({
      type: 'button',
      reply: { kind: 'button', id: 'PAID:42', title: 'Sudah bayar' },
      contextWamid: 'wamid.T',
    });
  });

  it('buttonReplyWebhook and listReplyWebhook (interactive replies)', () => {
    const button = buttonReplyWebhook({ from: FROM, id: 'confirm:1', title: 'Ya' });
    const list = listReplyWebhook({ from: FROM, id: 'slot_0900', title: '09:00', description: 'Senin pagi' });
    expectOasValid(button);
    expectOasValid(list);
    expect(parse(button).messages[0]?.reply).toEqual({ kind: 'button_reply', id: 'confirm:1', title: 'Ya' });
    expect(parse(list).messages[0]?.reply).toEqual({ kind: 'list_reply', id: 'slot_0900', title: '09:00' });
    expect(parse(list).messages[0]?.contextWamid).toMatch(/^wamid\./);
  });

  it.each(['image', 'audio', 'sticker'] as const)('mediaWebhook %s', (type) => {
    const payload = mediaWebhook({ from: FROM, type });
    expectOasValid(payload);
    const m = parse(payload).messages[0];
    expect(m?.type).toBe(type);
    expect(m?.text).toBeUndefined();
  });

  it('mediaWebhook image with a caption', () => {
    const payload = mediaWebhook({ from: FROM, type: 'image', caption: 'bukti transfer' });
    expectOasValid(payload);
    expect(parse(payload).messages[0]?.text).toBe('bukti transfer');
  });

  it('statusWebhook with several statuses, pricing, errors and callback data', () => {
    const payload = statusWebhook([
      {
        wamid: 'wamid.A',
        status: 'sent',
        recipient: FROM,
        bizOpaqueCallbackData: 'msg:1',
        pricing: { category: 'utility', type: 'regular', billable: true },
      },
      { wamid: 'wamid.A', status: 'delivered', recipient: FROM },
      {
        wamid: 'wamid.B',
        status: 'failed',
        recipient: FROM,
        errors: [{ code: 131026, title: 'Message undeliverable', details: 'not on WhatsApp' }],
      },
    ]);
    expectOasValid(payload);
    const statuses = parse(payload).statuses;
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'failed']);
    expect(statuses[0]).toMatchObject({
      bizOpaqueCallbackData: 'msg:1',
      pricing: { category: 'utility', type: 'regular', billable: true, pricingModel: 'PMP' },
    });
    expect(statuses[2]?.errors).toEqual([
      { code: 131026, title: 'Message undeliverable', details: 'not on WhatsApp' },
    ]);
  });

  it('statusWebhook to a BSUID uses recipient_user_id', () => {
    const payload = statusWebhook([{ wamid: 'wamid.C', status: 'read', recipient: 'ID.99999999' }]);
    expect(JSON.stringify(payload)).toContain('"recipient_user_id":"ID.99999999"');
    expect(parse(payload).statuses[0]?.recipient).toBe('ID.99999999');
  });

  it('envelope batches several values into one entry', () => {
    const a = textWebhook({ from: FROM, text: 'a' }).entry[0]?.changes[0]?.value;
    const b = statusWebhook([{ wamid: 'wamid.D', status: 'sent', recipient: FROM }]).entry[0]?.changes[0]
      ?.value;
    if (!a || !b) throw new Error('unreachable');
    const payload = envelope([a, b]);
    expectOasValid(payload);
    const w = parse(payload);
    expect([w.messages.length, w.statuses.length]).toEqual([1, 1]);
  });

  it('default wamids are unique per call', () => {
    const ids = new Set(
      Array.from({ length: 50 }, () => parse(textWebhook({ from: FROM, text: 'x' })).messages[0]?.wamid),
    );
    expect(ids.size).toBe(50);
  });
});

describe('signedRequest', () => {
  it('signs the exact body, with non-ASCII escaped as Meta does', () => {
    const payload = textWebhook({ from: FROM, text: 'Terima kasih 🙏 Lucía' });
    const req = signedRequest(payload, 'secret');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toContain('\\ud83d\\ude4f');
    expect(req.body).toContain('Luc\\u00eda');
    expect([...req.body].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
    expect(JSON.parse(req.body)).toEqual(payload);
    expect(verifySignature(Buffer.from(req.body), req.headers['x-hub-signature-256'], 'secret')).toBe(true);
    // A receiver that re-serialises before checking fails, as it would against Meta.
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(req.body)));
    expect(verifySignature(reserialised, req.headers['x-hub-signature-256'], 'secret')).toBe(false);
  });
});
