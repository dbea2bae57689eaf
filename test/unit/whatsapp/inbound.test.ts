import { describe, expect, it } from 'vitest';
import { type ParsedWebhook, parseWebhook } from '../../../src/whatsapp/index.js';
import { oasWebhookExamples } from '../../support/openapi.js';

function parsed(json: unknown): ParsedWebhook {
  const r = parseWebhook(json);
  if (!r.ok) throw new Error(`expected ok, got: ${r.error}`);
  return r.webhook;
}

const examples = new Map(oasWebhookExamples().map((e) => [e.name, e.payload]));

function example(name: string): ParsedWebhook {
  if (!examples.has(name)) throw new Error(`OAS has no webhook example "${name}"`);
  return parsed(examples.get(name));
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

describe('parseWebhook on every OAS webhook example', () => {
  it('finds all 16 examples and parses each without skipping anything', () => {
    expect(examples.size).toBe(16);
    for (const [name, payload] of examples) {
      const r = parseWebhook(payload);
      expect(r.ok, name).toBe(true);
      if (r.ok) expect(r.webhook.skipped, name).toEqual([]);
    }
  });

  it('Text Message', () => {
    const m = only(example('Text Message').messages);
    expect(m).toMatchObject({
      wamid: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
      phoneNumberId: '106540352242922',
      contact: '16505551234',
      waId: '16505551234',
      profileName: 'Sheena Nelson',
      type: 'text',
      text: 'Does it come in another color?',
      errors: [],
    });
    expect(m.userId).toBeUndefined();
    expect(m.timestamp.toISOString()).toBe(new Date(1749416383 * 1000).toISOString());
    expect(m.raw).toMatchObject({ type: 'text', text: { body: 'Does it come in another color?' } });
  });

  it('Text Message with Context (Product Inquiry) keeps the quoted wamid', () => {
    const m = only(example('Text Message with Context (Product Inquiry)').messages);
    expect(m.text).toBe('Is this still available?');
    expect(m.contextWamid).toBe('wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA');
  });

  it('Text Message from Click to WhatsApp Ad keeps the referral in raw', () => {
    const m = only(example('Text Message from Click to WhatsApp Ad').messages);
    expect(m.text).toBe('Hello! Can I get more info on this?');
    expect(m.raw.referral).toMatchObject({ source_type: 'ad' });
  });

  it('Reaction Message', () => {
    const m = only(example('Reaction Message').messages);
    expect(m.type).toBe('reaction');
    expect(m.text).toBeUndefined();
    expect(m.reply).toBeUndefined();
    expect(m.raw.reaction).toMatchObject({ emoji: '👍' });
  });

  it('Image Message exposes the caption as text', () => {
    const m = only(example('Image Message').messages);
    expect(m.type).toBe('image');
    expect(m.text).toBe('Taj Mahal');
  });

  it('Location Message', () => {
    const m = only(example('Location Message').messages);
    expect(m.type).toBe('location');
    expect(m.text).toBeUndefined();
    expect(m.raw.location).toMatchObject({ latitude: 37.44221496582, name: 'Philz Coffee' });
  });

  it('Contact Sharing Message keys on the sender, not on the shared contact', () => {
    const m = only(example('Contact Sharing Message').messages);
    expect(m.type).toBe('contacts');
    expect(m.contact).toBe('16505551234');
  });

  it('Unsupported Message carries its errors', () => {
    const m = only(example('Unsupported Message').messages);
    expect(m.type).toBe('unsupported');
    expect(m.errors).toEqual([
      { code: 131051, title: 'Message type unknown', details: 'Message type is currently not supported.' },
    ]);
  });

  it('Button Message (template quick reply): id = payload, title = text', () => {
    const m = only(example('Button Message').messages);
    expect(m.type).toBe('button');
    expect(m.reply).toEqual({ kind: 'button', id: 'Unsubscribe', title: 'Unsubscribe' });
    expect(m.contextWamid).toBe('wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA');
  });

  it('Interactive List Reply Message', () => {
    const m = only(example('Interactive List Reply Message').messages);
    expect(m.type).toBe('interactive');
    expect(m.reply).toEqual({ kind: 'list_reply', id: 'priority_express', title: 'Priority Mail Express' });
    expect(m.contextWamid).toBe('wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJGMzEyNzhENTZDMzNGODlDRDgA');
  });

  it('Interactive Button Reply Message', () => {
    const m = only(example('Interactive Button Reply Message').messages);
    expect(m.reply).toEqual({ kind: 'button_reply', id: 'cancel-button', title: 'Cancel' });
  });

  it('Order Message', () => {
    const m = only(example('Order Message').messages);
    expect(m.type).toBe('order');
    expect(m.raw.order).toMatchObject({ catalog_id: '194836987003835' });
  });

  it('System Message has no contacts[] and still has a sender', () => {
    const m = only(example('System Message').messages);
    expect(m).toMatchObject({ type: 'system', contact: '16505551234', waId: '16505551234' });
    expect(m.profileName).toBeUndefined();
  });

  it.each(['Group Create Message', 'Group Settings Update', 'Group Remove Participants'])(
    '%s lands in other, untouched',
    (name) => {
      const w = example(name);
      expect(w.messages).toEqual([]);
      expect(w.other).toHaveLength(1);
      expect(w.other[0]?.field).toMatch(/^group_/);
      expect(w.other[0]?.value).toMatchObject({ groups: expect.any(Array) });
    },
  );
});

const PHONE_ID = '106540352242922';
const meta = { display_phone_number: '6281100000000', phone_number_id: PHONE_ID };
const wrap = (value: unknown, field = 'messages') => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '102290129340398', changes: [{ field, value }] }],
});
const msg = (extra: Record<string, unknown>) => ({
  id: `wamid.${Math.random()}`,
  timestamp: '1750000000',
  type: 'text',
  text: { body: 'halo' },
  ...extra,
});

describe('senders with BSUIDs', () => {
  it('keys a BSUID-only sender on the user id', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        contacts: [{ profile: { name: 'Rina', username: 'rina' }, user_id: 'ID.13491208655302741918' }],
        messages: [msg({ from_user_id: 'ID.13491208655302741918' })],
      }),
    );
    const m = only(w.messages);
    expect(m).toMatchObject({ contact: 'ID.13491208655302741918', userId: 'ID.13491208655302741918' });
    expect(m.waId).toBeUndefined();
    expect(m.profileName).toBe('Rina');
  });

  it('keys a sender with both wa_id and user id on the wa_id', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        contacts: [{ profile: { name: 'Budi' }, wa_id: '6281234567890', user_id: 'ID.555' }],
        messages: [msg({ from: '6281234567890', from_user_id: 'ID.555' })],
      }),
    );
    expect(only(w.messages)).toMatchObject({
      contact: '6281234567890',
      waId: '6281234567890',
      userId: 'ID.555',
    });
  });

  it('falls back to the contacts[] entry when the message has no from at all', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        contacts: [{ profile: { name: 'Sari' }, user_id: 'ID.777' }],
        messages: [msg({})],
      }),
    );
    expect(only(w.messages)).toMatchObject({ contact: 'ID.777', userId: 'ID.777', profileName: 'Sari' });
  });

  it('matches each message to its own contact when several are batched', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        contacts: [
          { profile: { name: 'A' }, wa_id: '6281111111111' },
          { profile: { name: 'B' }, user_id: 'ID.222' },
        ],
        messages: [msg({ from_user_id: 'ID.222' }), msg({ from: '6281111111111' })],
      }),
    );
    expect(w.messages.map((m) => [m.contact, m.profileName])).toEqual([
      ['ID.222', 'B'],
      ['6281111111111', 'A'],
    ]);
  });

  it("does not borrow a lone contact's ids when they belong to someone else", () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        contacts: [{ profile: { name: 'Other' }, wa_id: '6289999999999', user_id: 'ID.OTHER' }],
        messages: [msg({ from: '6281234567890' })],
      }),
    );
    const m = only(w.messages);
    expect(m).toMatchObject({ contact: '6281234567890', waId: '6281234567890' });
    expect(m.userId).toBeUndefined();
    expect(m.profileName).toBeUndefined();
  });

  it('never takes a BSUID in from for a phone number', () => {
    const w = parsed(
      wrap({ messaging_product: 'whatsapp', metadata: meta, messages: [msg({ from: 'ID.999' })] }),
    );
    const m = only(w.messages);
    expect(m).toMatchObject({ contact: 'ID.999', userId: 'ID.999' });
    expect(m.waId).toBeUndefined();
  });

  it('skips a message with no sender anywhere', () => {
    const w = parsed(wrap({ messaging_product: 'whatsapp', metadata: meta, messages: [msg({})] }));
    expect(w.messages).toEqual([]);
    expect(w.skipped).toEqual([expect.stringContaining('no sender')]);
  });
});

describe('other message shapes', () => {
  it('keeps an unknown message type with its raw object', () => {
    const item = msg({
      from: '6281234567890',
      type: 'hologram',
      text: undefined,
      hologram: { shape: 'cube' },
    });
    const w = parsed(wrap({ messaging_product: 'whatsapp', metadata: meta, messages: [item] }));
    const m = only(w.messages);
    expect(m.type).toBe('hologram');
    expect(m.raw).toBe(item);
  });

  it('reads video and document captions; a malformed optional part does not cost the message', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        messages: [
          msg({ from: '6281', type: 'video', text: undefined, video: { caption: 'lihat', id: '1' } }),
          msg({ from: '6281', type: 'document', text: undefined, document: { caption: 'kwitansi.pdf' } }),
          msg({ from: '6281', type: 'interactive', text: undefined, interactive: 'garbage', context: 5 }),
          msg({ from: '6281', type: 'interactive', text: undefined, interactive: { type: 'nfm_reply' } }),
        ],
      }),
    );
    expect(w.messages.map((m) => m.text)).toEqual(['lihat', 'kwitansi.pdf', undefined, undefined]);
    expect(w.messages[2]?.reply).toBeUndefined();
    expect(w.messages[3]?.type).toBe('interactive');
    expect(w.skipped).toEqual([]);
  });

  it('accepts a numeric timestamp and skips an unreadable one', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        messages: [
          msg({ from: '6281', timestamp: 1750000000 }),
          msg({ from: '6281', timestamp: 'yesterday' }),
        ],
      }),
    );
    expect(only(w.messages).timestamp.getTime()).toBe(1750000000 * 1000);
    expect(w.skipped).toEqual([expect.stringMatching(/^entry\[0\]\.changes\[0\]\.messages\[1\]: timestamp/)]);
  });

  it('collects value-level errors not tied to a message', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        errors: [
          {
            code: 130429,
            title: 'Rate limit hit',
            message: 'Rate limit hit',
            error_data: { details: 'slow' },
          },
        ],
      }),
    );
    expect(w.errors).toEqual([{ code: 130429, title: 'Rate limit hit', details: 'slow' }]);
  });
});

describe('statuses', () => {
  const status = (extra: Record<string, unknown>) => ({
    id: 'wamid.OUT1',
    status: 'sent',
    timestamp: '1750030073',
    recipient_id: '6281234567890',
    ...extra,
  });

  it('reads pricing, biz_opaque_callback_data and several statuses in one change', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        statuses: [
          status({
            biz_opaque_callback_data: 'msg:42',
            conversation: { id: 'c1', origin: { type: 'utility' } },
            pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' },
          }),
          status({ status: 'delivered', timestamp: '1750030080' }),
          status({ status: 'read', timestamp: '1750030090' }),
          status({ status: 'played', timestamp: '1750030095' }),
        ],
      }),
    );
    expect(w.statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read', 'played']);
    expect(w.statuses[0]).toEqual({
      wamid: 'wamid.OUT1',
      phoneNumberId: PHONE_ID,
      status: 'sent',
      timestamp: new Date(1750030073 * 1000),
      recipient: '6281234567890',
      bizOpaqueCallbackData: 'msg:42',
      errors: [],
      pricing: { category: 'utility', type: 'regular', billable: true, pricingModel: 'PMP' },
    });
    expect(w.statuses[1]?.pricing).toBeUndefined();
  });

  it('reads a failed status with its errors', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        statuses: [
          status({
            status: 'failed',
            errors: [
              {
                code: 131049,
                title: 'This message was not delivered to maintain healthy ecosystem engagement.',
                message: 'This message was not delivered to maintain healthy ecosystem engagement.',
                error_data: { details: 'In order to maintain a healthy ecosystem engagement...' },
                href: '/docs/whatsapp/cloud-api/support/error-codes/',
              },
            ],
          }),
        ],
      }),
    );
    const s = only(w.statuses);
    expect(s.status).toBe('failed');
    expect(s.errors).toEqual([
      {
        code: 131049,
        title: 'This message was not delivered to maintain healthy ecosystem engagement.',
        details: 'In order to maintain a healthy ecosystem engagement...',
      },
    ]);
  });

  it('uses recipient_user_id for a BSUID-only recipient', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        statuses: [status({ recipient_id: undefined, recipient_user_id: 'ID.13491208655302741918' })],
      }),
    );
    expect(only(w.statuses).recipient).toBe('ID.13491208655302741918');
  });

  it('skips an unknown status string and a status with no recipient, keeping the rest', () => {
    const w = parsed(
      wrap({
        messaging_product: 'whatsapp',
        metadata: meta,
        statuses: [status({ status: 'deleted' }), status({ recipient_id: undefined }), status({})],
      }),
    );
    expect(w.statuses).toHaveLength(1);
    expect(w.skipped).toEqual([
      'entry[0].changes[0].statuses[0]: unknown status "deleted"',
      'entry[0].changes[0].statuses[1]: no recipient_id or recipient_user_id',
    ]);
  });

  it('reads several entries and changes, messages and statuses together, and other fields', () => {
    const w = parsed({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'waba1',
          changes: [
            {
              field: 'messages',
              value: { messaging_product: 'whatsapp', metadata: meta, statuses: [status({})] },
            },
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { ...meta, phone_number_id: 'other-number' },
                messages: [msg({ from: '6282' })],
              },
            },
          ],
        },
        {
          id: 'waba2',
          time: 1751247548,
          changes: [
            { field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 1 } },
            { field: 'user_preferences', value: { user_preferences: [{ wa_id: '6283', value: 'stop' }] } },
          ],
        },
      ],
    });
    expect(w.statuses).toHaveLength(1);
    expect(only(w.messages).phoneNumberId).toBe('other-number');
    expect(w.other.map((o) => o.field)).toEqual(['message_template_status_update', 'user_preferences']);
    expect(w.skipped).toEqual([]);
  });
});

describe('garbage never throws', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['array', []],
    ['string', 'whatsapp_business_account'],
    ['number', 42],
    ['boolean', true],
    ['page object', { object: 'page', entry: [] }],
    ['no entry', { object: 'whatsapp_business_account' }],
    ['entry not array', { object: 'whatsapp_business_account', entry: { id: 1 } }],
    ['entry null', { object: 'whatsapp_business_account', entry: null }],
  ])('rejects %s with ok:false', (_, input) => {
    const r = parseWebhook(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/not a WhatsApp Business Account webhook/);
  });

  it('accepts an empty entry list', () => {
    expect(parsed({ object: 'whatsapp_business_account', entry: [] })).toEqual({
      messages: [],
      statuses: [],
      errors: [],
      other: [],
      skipped: [],
    });
  });

  it('skips deeply wrong items one by one and keeps the good ones', () => {
    const good = msg({ from: '6281234567890' });
    const w = parsed({
      object: 'whatsapp_business_account',
      entry: [
        null,
        'x',
        { id: 1, changes: 'nope' },
        {
          changes: [
            null,
            { value: {} },
            { field: 'messages', value: null },
            { field: 'messages', value: { metadata: { phone_number_id: 7 } } },
            {
              field: 'messages',
              value: {
                metadata: meta,
                contacts: 'not-an-array',
                messages: [null, 3, [], {}, { id: 'w', timestamp: '1', type: 5 }, good],
                statuses: [null, { id: 'x', status: 'sent' }, 'read'],
                errors: [{ code: 'abc' }, null],
              },
            },
          ],
        },
      ],
    });
    expect(w.messages.map((m) => m.wamid)).toEqual([good.id]);
    expect(w.statuses).toEqual([]);
    expect(w.skipped.length).toBeGreaterThanOrEqual(15);
    for (const reason of w.skipped) expect(reason).toMatch(/^entry\[\d+\]/);
  });

  it('survives a getter that throws and a cyclic object', () => {
    const cyclic: Record<string, unknown> = {
      from: '6281',
      id: 'wamid.C',
      timestamp: '1750000000',
      type: 'text',
    };
    cyclic.self = cyclic;
    const hostile = {
      object: 'whatsapp_business_account',
      entry: [
        {
          get changes(): never {
            throw new Error('boom');
          },
        },
        { changes: [{ field: 'messages', value: { metadata: meta, messages: [cyclic] } }] },
      ],
    };
    const w = parsed(hostile);
    expect(only(w.messages).wamid).toBe('wamid.C');
    expect(w.skipped).toEqual([expect.stringContaining('entry[0]')]);
    const throwingObject = {
      get object(): never {
        throw new Error('boom');
      },
    };
    expect(parseWebhook(throwingObject).ok).toBe(false);
  });
});
