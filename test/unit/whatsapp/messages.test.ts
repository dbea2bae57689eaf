import { describe, expect, it } from 'vitest';
import {
  buttonMessage,
  LIMITS,
  listMessage,
  MessageLimitError,
  type OutboundBody,
  templateMessage,
  textMessage,
  withCallbackData,
} from '../../../src/whatsapp/index.js';
import { oasSendResponseExamples, validateOas } from '../../support/openapi.js';

const PHONE = '6281234567890';
const BSUID = 'ID.13491208655302741918';

/** Each builder's output against the OAS schema for its type (the `Message` oneOf names the same ones). */
function expectValid(body: OutboundBody): void {
  const schema = { text: 'TextMessage', interactive: 'InteractiveMessage', template: 'TemplateMessage' }[
    body.type
  ];
  const byType = validateOas(schema, body);
  expect(byType.errors).toBe('');
  expect(validateOas('Message', body).valid).toBe(true);
}

function limitError(fn: () => unknown): MessageLimitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MessageLimitError);
    return err as MessageLimitError;
  }
  throw new Error('expected a MessageLimitError');
}

const buttons = [
  { id: 'confirm:1', title: 'Ya, hadir' },
  { id: 'reschedule:1', title: 'Ganti jadwal' },
  { id: 'cancel:1', title: 'Batalkan' },
];
const sections = [
  {
    title: 'Senin',
    rows: [
      { id: 'slot_mon_0900', title: '09:00', description: 'dr. Ani' },
      { id: 'slot_mon_1000', title: '10:00' },
    ],
  },
  { title: 'Selasa', rows: [{ id: 'slot_tue_0900', title: '09:00' }] },
];

describe('textMessage', () => {
  it('builds the OAS text body', () => {
    const body = textMessage(PHONE, 'Halo Budi!');
    expect(body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: PHONE,
      type: 'text',
      text: { body: 'Halo Budi!', preview_url: false },
    });
    expectValid(body);
  });

  it('quotes a message and turns link previews on', () => {
    const body = textMessage(PHONE, 'lihat https://bpjs.example', { replyTo: 'wamid.Q', previewUrl: true });
    expect(body.context).toEqual({ message_id: 'wamid.Q' });
    expect(body.text.preview_url).toBe(true);
    expectValid(body);
  });

  it('allows exactly 4096 characters, counting an emoji as one', () => {
    expectValid(textMessage(PHONE, 'a'.repeat(LIMITS.textBody)));
    expectValid(textMessage(PHONE, '👍'.repeat(LIMITS.textBody)));
    expect(limitError(() => textMessage(PHONE, 'a'.repeat(LIMITS.textBody + 1))).field).toBe('text');
    expect(limitError(() => textMessage(PHONE, '   ')).field).toBe('text');
  });
});

describe('recipient rule: a phone as to, a BSUID as recipient', () => {
  // OAS v23 has no `recipient` field: BSUID sends postdate the spec, so this shape is checked by hand.
  it('sends to a BSUID as recipient, never as to', () => {
    for (const body of [
      textMessage(BSUID, 'Halo'),
      buttonMessage(BSUID, { body: 'Hadir?', buttons }),
      listMessage(BSUID, { body: 'Pilih', button: 'Lihat', sections }),
      templateMessage(BSUID, { name: 'reminder', language: 'id', bodyParameters: ['Budi'] }),
    ]) {
      expect(body.recipient).toBe(BSUID);
      expect('to' in body).toBe(false);
      expect(body).toMatchObject({ messaging_product: 'whatsapp', recipient_type: 'individual' });
      // The same body addressed by phone validates, so only the addressing differs.
      const { recipient: _, ...rest } = body;
      expectValid({ ...rest, to: PHONE } as OutboundBody);
    }
  });

  it('the closed OAS schemas reject `recipient`, confirming the spec predates BSUID sends', () => {
    expect(validateOas('TextMessage', textMessage(BSUID, 'Halo')).valid).toBe(false);
  });

  it('sends a phone number as to', () => {
    expect(textMessage('+6281234567890', 'x').to).toBe('+6281234567890');
    expect(limitError(() => textMessage('', 'x')).field).toBe('recipient');
  });
});

describe('buttonMessage', () => {
  it('builds reply buttons with header and footer', () => {
    const body = buttonMessage(PHONE, {
      header: 'Pengingat Iuran',
      body: 'Apakah Anda akan membayar minggu ini?',
      footer: 'BPJS Ketenagakerjaan',
      buttons,
    });
    expect(body.interactive).toEqual({
      type: 'button',
      header: { type: 'text', text: 'Pengingat Iuran' },
      body: { text: 'Apakah Anda akan membayar minggu ini?' },
      footer: { text: 'BPJS Ketenagakerjaan' },
      action: {
        buttons: buttons.map((b) => ({ type: 'reply', reply: b })),
      },
    });
    expectValid(body);
    expectValid(buttonMessage(PHONE, { body: 'x', buttons: buttons.slice(0, 1) }));
  });

  it.each([
    ['buttons', { body: 'x', buttons: [...buttons, { id: 'd', title: 'D' }] }],
    ['buttons', { body: 'x', buttons: [] }],
    ['buttons[1].title', { body: 'x', buttons: [buttons[0], { id: 'b', title: 'x'.repeat(21) }] }],
    ['buttons[0].title', { body: 'x', buttons: [{ id: 'a', title: '' }] }],
    ['buttons[0].id', { body: 'x', buttons: [{ id: 'a'.repeat(257), title: 'A' }] }],
    [
      'buttons.title',
      {
        body: 'x',
        buttons: [
          { id: 'a', title: 'Ya' },
          { id: 'b', title: 'Ya' },
        ],
      },
    ],
    [
      'buttons.id',
      {
        body: 'x',
        buttons: [
          { id: 'a', title: 'Ya' },
          { id: 'a', title: 'Tidak' },
        ],
      },
    ],
    ['body', { body: 'x'.repeat(1025), buttons }],
    ['header', { body: 'x', header: 'x'.repeat(61), buttons }],
    ['footer', { body: 'x', footer: 'x'.repeat(61), buttons }],
  ])('throws naming %s', (field, spec) => {
    const err = limitError(() => buttonMessage(PHONE, spec as Parameters<typeof buttonMessage>[1]));
    expect(err.field).toBe(field);
    expect(err.message).toContain(field);
  });

  it('accepts every field exactly at its limit', () => {
    expectValid(
      buttonMessage(PHONE, {
        header: 'h'.repeat(LIMITS.header),
        body: 'b'.repeat(LIMITS.interactiveBody),
        footer: 'f'.repeat(LIMITS.footer),
        buttons: [
          { id: 'i'.repeat(LIMITS.buttonId), title: 't'.repeat(LIMITS.buttonTitle) },
          { id: 'j', title: 'u'.repeat(LIMITS.buttonTitle) },
          { id: 'k', title: 'v' },
        ],
      }),
    );
  });
});

describe('listMessage', () => {
  it('builds a list with sections', () => {
    const body = listMessage(PHONE, {
      header: 'Pilih jadwal',
      body: 'Silakan pilih slot',
      footer: 'Kantor Cabang',
      button: 'Lihat slot',
      sections,
    });
    expect(body.interactive).toEqual({
      type: 'list',
      header: { type: 'text', text: 'Pilih jadwal' },
      body: { text: 'Silakan pilih slot' },
      footer: { text: 'Kantor Cabang' },
      action: { button: 'Lihat slot', sections },
    });
    expectValid(body);
  });

  it('allows one untitled section and exactly 10 rows', () => {
    const rows = Array.from({ length: LIMITS.listRows }, (_, i) => ({
      id: `r${i}`,
      title: 't'.repeat(LIMITS.rowTitle),
      description: 'd'.repeat(LIMITS.rowDescription),
    }));
    expectValid(
      listMessage(PHONE, { body: 'x', button: 'b'.repeat(LIMITS.listButton), sections: [{ rows }] }),
    );
  });

  const row = (id: string) => ({ id, title: id });
  it.each([
    [
      'rows',
      [
        { title: 'A', rows: Array.from({ length: 6 }, (_, i) => row(`a${i}`)) },
        { title: 'B', rows: Array.from({ length: 5 }, (_, i) => row(`b${i}`)) },
      ],
    ],
    ['sections', []],
    ['sections', Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: [] }))],
    ['sections[0].rows', [{ title: 'A', rows: [] }]],
    ['sections[1].title', [{ title: 'A', rows: [row('a')] }, { rows: [row('b')] }]],
    ['sections[0].title', [{ title: 'x'.repeat(25), rows: [row('a')] }]],
    ['sections[0].rows[0].title', [{ rows: [{ id: 'a', title: 'x'.repeat(25) }] }]],
    ['sections[0].rows[0].description', [{ rows: [{ id: 'a', title: 'A', description: 'x'.repeat(73) }] }]],
    ['sections[0].rows[0].id', [{ rows: [{ id: 'x'.repeat(201), title: 'A' }] }]],
    [
      'rows.id',
      [
        { title: 'A', rows: [row('a')] },
        { title: 'B', rows: [row('a')] },
      ],
    ],
  ])('throws naming %s', (field, secs) => {
    const err = limitError(() => listMessage(PHONE, { body: 'x', button: 'Lihat', sections: secs as never }));
    expect(err.field).toBe(field);
  });

  it('throws naming button and body', () => {
    expect(limitError(() => listMessage(PHONE, { body: 'x', button: 'x'.repeat(21), sections })).field).toBe(
      'button',
    );
    expect(limitError(() => listMessage(PHONE, { body: '', button: 'Lihat', sections })).field).toBe('body');
  });
});

describe('templateMessage', () => {
  it('builds body parameters and quick-reply payloads by index', () => {
    const body = templateMessage(PHONE, {
      name: 'pengingat_iuran',
      language: 'id',
      bodyParameters: ['Budi', 'Rp 150.000', '10 Juli 2026'],
      quickReplyPayloads: ['PAID:42', 'LATER:42'],
    });
    expect(body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: PHONE,
      type: 'template',
      template: {
        name: 'pengingat_iuran',
        language: { code: 'id' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Budi' },
              { type: 'text', text: 'Rp 150.000' },
              { type: 'text', text: '10 Juli 2026' },
            ],
          },
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '0',
            parameters: [{ type: 'payload', payload: 'PAID:42' }],
          },
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '1',
            parameters: [{ type: 'payload', payload: 'LATER:42' }],
          },
        ],
      },
    });
    expectValid(body);
  });

  it('omits components for a template without variables or buttons', () => {
    const body = templateMessage(PHONE, { name: 'hello_world', language: 'en_US', bodyParameters: [] });
    expect(body.template).toEqual({ name: 'hello_world', language: { code: 'en_US' } });
    expectValid(body);
  });

  it.each([
    ['bodyParameters[1]', { bodyParameters: ['a', 'baris\nbaru'] }],
    ['bodyParameters[0]', { bodyParameters: ['tab\there'] }],
    ['bodyParameters[0]', { bodyParameters: ['five     spaces'] }],
    ['bodyParameters[0]', { bodyParameters: [''] }],
    ['quickReplyPayloads', { quickReplyPayloads: Array.from({ length: 11 }, (_, i) => `p${i}`) }],
    ['quickReplyPayloads[0]', { quickReplyPayloads: [''] }],
    ['name', { name: '' }],
    ['language', { language: '' }],
  ])('throws naming %s', (field, over) => {
    const spec = { name: 'x', language: 'id', bodyParameters: ['a'], ...over };
    expect(limitError(() => templateMessage(PHONE, spec)).field).toBe(field);
  });
});

describe('withCallbackData', () => {
  it('adds biz_opaque_callback_data without touching the original', () => {
    const original = templateMessage(PHONE, { name: 'x', language: 'id', bodyParameters: ['a'] });
    const tagged = withCallbackData(original, 'msg:42');
    expect(tagged.biz_opaque_callback_data).toBe('msg:42');
    expect(original.biz_opaque_callback_data).toBeUndefined();
    expect(tagged.template).toBe(original.template);
    expectValid(tagged);
  });

  it('OAS v23 declares it on no message schema: only the open TemplateMessage lets it through', () => {
    expect(validateOas('TextMessage', withCallbackData(textMessage(PHONE, 'x'), 'msg:1')).valid).toBe(false);
    expect(
      validateOas('InteractiveMessage', withCallbackData(buttonMessage(PHONE, { body: 'x', buttons }), 'm'))
        .valid,
    ).toBe(false);
  });

  it('keeps it within 512 characters', () => {
    expect(withCallbackData(textMessage(PHONE, 'x'), 'd'.repeat(512)).biz_opaque_callback_data).toHaveLength(
      512,
    );
    expect(limitError(() => withCallbackData(textMessage(PHONE, 'x'), 'd'.repeat(513))).field).toBe(
      'biz_opaque_callback_data',
    );
  });
});

describe('send response fixture', () => {
  it('every OAS 200 example validates against MessageResponsePayload', () => {
    const examples = oasSendResponseExamples();
    expect(examples.length).toBeGreaterThan(10);
    for (const e of examples)
      expect(validateOas('MessageResponsePayload', e.payload).valid, e.name).toBe(true);
    const ours = {
      messaging_product: 'whatsapp',
      contacts: [{ input: '+6281234567890', wa_id: '6281234567890' }],
      messages: [
        { id: 'wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjAwQUJDREVGMDEyMzQ1Njc4OQA=', message_status: 'accepted' },
      ],
    };
    expect(validateOas('MessageResponsePayload', ours).errors).toBe('');
    expect(
      validateOas('MessageResponsePayload', { ...ours, messages: [{ id: 'w', message_status: 'lost' }] })
        .valid,
    ).toBe(false);
  });
});
