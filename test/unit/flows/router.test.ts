import { describe, expect, it } from 'vitest';
import { type FlowId, type InboundMessage, route } from '../../../flows/index.js';
import { facts } from './support.js';

const f = facts();
const text = (t: string): InboundMessage => ({ kind: 'text', text: t });
const choice = (id: string): InboundMessage => ({ kind: 'choice', id });

/** [flow, restart, via or event type] for a message with a given active flow. */
function where(message: InboundMessage, active: FlowId | null = null) {
  const r = route({ message, active, facts: f });
  return [r.flow, r.restart, r.event.type === 'START' ? r.event.via : r.event.type];
}

describe('router: keywords', () => {
  it.each([
    ['stop', 'keyword:STOP'],
    ['STOP', 'keyword:STOP'],
    ['Stop!', 'keyword:STOP'],
    [' BERHENTI. ', 'keyword:STOP'],
    ['berhenti', 'keyword:STOP'],
    ['stop 🙏', 'keyword:STOP'],
    ['MULAI', 'keyword:START'],
    ['start.', 'keyword:START'],
    ['Mulai!!', 'keyword:START'],
  ])('%j as the whole message opens consent (%s)', (message, via) => {
    for (const active of [null, 'bill', 'menu', 'fallback'] as const) {
      expect(where(text(message), active)).toEqual(['consent', true, via]);
    }
  });

  it.each([
    'saya mau stop',
    'stop dulu ya nanti saya bayar',
    'jangan berhenti',
    'kapan mulai bayar?',
    'stopkontak',
  ])('%j inside a sentence opts nobody out', (message) => {
    const r = route({ message: text(message), active: null, facts: f });
    expect(r.flow).not.toBe('consent');
  });

  it.each([
    ['menu', 'menu', 'keyword:MENU'],
    ['MENU', 'menu', 'keyword:MENU'],
    ['Menu please', 'menu', 'keyword:MENU'],
    ['tolong tampilkan menu.', 'menu', 'keyword:MENU'],
    ['cs', 'agent', 'keyword:AGENT'],
    ['CS?', 'agent', 'keyword:AGENT'],
    ['mau bicara dengan petugas', 'agent', 'keyword:AGENT'],
    ['Agen!', 'agent', 'keyword:AGENT'],
    ['PETUGAS', 'agent', 'keyword:AGENT'],
    ['bahasa', 'language', 'keyword:LANGUAGE'],
    ['ganti bahasa', 'language', 'keyword:LANGUAGE'],
    ['Language?', 'language', 'keyword:LANGUAGE'],
    ['basa', 'language', 'keyword:LANGUAGE'],
  ])('%j opens %s from anywhere', (message, flow, via) => {
    for (const active of [null, 'bill', 'pay', 'link', 'menu', 'fallback', 'language'] as const) {
      expect(where(text(message), active)).toEqual([flow, true, via]);
    }
  });

  it.each([
    ['menunggu', null],
    ['saya menunggu balasan', null],
    ['bcs', null],
    ['discs', null],
    ['agenda', null],
    ['bahasanya susah', null],
  ])('%j is no keyword', (message) => {
    expect(where(text(message))).toEqual(['fallback', true, 'text']);
    expect(where(text(message), 'bill')).toEqual(['bill', false, 'TEXT']);
  });

  it('passes the text along when the language keyword opens the flow, so a named language applies', () => {
    const r = route({ message: text('ganti bahasa jawa'), active: null, facts: f });
    expect(r.event).toMatchObject({ type: 'START', via: 'keyword:LANGUAGE', text: 'ganti bahasa jawa' });
  });

  it.each([
    ['English', 'keyword:LANG:en'],
    ['english!', 'keyword:LANG:en'],
    ['Bahasa Indonesia', 'keyword:LANG:id'],
    ['indonesia', 'keyword:LANG:id'],
    ['Basa Jawa', 'keyword:LANG:jv'],
    ['jawa', 'keyword:LANG:jv'],
    ['boso jowo', 'keyword:LANG:jv'],
  ])('a language named on its own (%j) switches directly', (message, via) => {
    expect(where(text(message), 'bill')).toEqual(['language', true, via]);
  });
});

describe('router: digits after the menu', () => {
  it.each([
    ['1', 'bill', 'menu:BILL'],
    ['2', 'pay', 'menu:PAY'],
    ['3', 'agent', 'menu:AGENT'],
    ['4', 'language', 'menu:LANGUAGE'],
    [' 5. ', 'consent', 'menu:STOP'],
  ])('%j while the menu is showing opens %s', (digit, flow, via) => {
    expect(where(text(digit), 'menu')).toEqual([flow, true, via]);
    // the fallback ends with the menu too
    expect(where(text(digit), 'fallback')).toEqual([flow, true, via]);
  });

  it('a digit is data elsewhere: a birth date flow gets it, and without a flow it is not understood', () => {
    expect(where(text('1'), 'bill')).toEqual(['bill', false, 'TEXT']);
    expect(where(text('2'), 'language')).toEqual(['language', false, 'TEXT']);
    expect(where(text('1'), null)).toEqual(['fallback', true, 'text']);
    expect(where(text('6'), 'menu')).toEqual(['fallback', true, 'text']);
  });
});

describe('router: choices', () => {
  it.each([
    ['BILL', 'bill', 'template_button:BILL'],
    ['PAY', 'pay', 'template_button:PAY'],
    ['STOP', 'consent', 'template_button:STOP'],
    ['AGENT', 'agent', 'template_button:AGENT'],
    ['MENU:BILL', 'bill', 'menu:BILL'],
    ['MENU:PAY', 'pay', 'menu:PAY'],
    ['MENU:AGENT', 'agent', 'menu:AGENT'],
    ['MENU:LANGUAGE', 'language', 'menu:LANGUAGE'],
    ['MENU:STOP', 'consent', 'menu:STOP'],
    ['MENU', 'menu', 'button:MENU'],
    ['LANGUAGE', 'language', 'button:LANGUAGE'],
    ['START', 'consent', 'button:START'],
    ['AGENT:bill_locked', 'agent', 'button:AGENT:bill_locked'],
  ])('global %s opens %s from anywhere', (id, flow, via) => {
    for (const active of [null, 'bill', 'pay', 'link', 'menu', 'fallback'] as const) {
      expect(where(choice(id), active)).toEqual([flow, true, via]);
    }
  });

  it.each([
    ['PAYCH:bri', 'pay'],
    ['LANG:jv', 'language'],
    ['LINK:YES', 'link'],
  ])('%s goes to its active flow, and restarts it from an older message otherwise', (id, flow) => {
    expect(where(choice(id), flow as FlowId)).toEqual([flow, false, 'CHOICE']);
    expect(where(choice(id), null)).toEqual([flow, true, `choice:${id}`]);
    expect(where(choice(id), 'bill')).toEqual([flow, true, `choice:${id}`]);
  });

  it('keeps the title of a choice for the flow', () => {
    const r = route({
      message: { kind: 'choice', id: 'LANG:en', title: 'English' },
      active: 'language',
      facts: f,
    });
    expect(r.event).toEqual({ type: 'CHOICE', id: 'LANG:en', title: 'English', facts: f });
  });

  it('an unknown id goes to the active flow, else to the fallback', () => {
    expect(where(choice('OLD:42'), 'link')).toEqual(['link', false, 'CHOICE']);
    expect(where(choice('OLD:42'), null)).toEqual(['fallback', true, 'choice:OLD:42']);
  });
});

describe('router: plain text and media', () => {
  it('plain text goes to the active flow, or opens the fallback with the text', () => {
    expect(route({ message: text('17-08-1965'), active: 'bill', facts: f })).toEqual({
      flow: 'bill',
      restart: false,
      event: { type: 'TEXT', text: '17-08-1965', facts: f },
    });
    expect(route({ message: text('alamat kantor?'), active: null, facts: f })).toEqual({
      flow: 'fallback',
      restart: true,
      event: { type: 'START', facts: f, via: 'text', text: 'alamat kantor?' },
    });
  });

  it('the menu reads no free text: a question while it shows goes to the fallback', () => {
    expect(where(text('apa itu JMO?'), 'menu')).toEqual(['fallback', true, 'text']);
  });

  it('media goes to the active flow, else to the fallback', () => {
    expect(route({ message: { kind: 'media', mediaType: 'audio' }, active: 'bill', facts: f })).toEqual({
      flow: 'bill',
      restart: false,
      event: { type: 'MEDIA', kind: 'audio', facts: f },
    });
    expect(where({ kind: 'media', mediaType: 'sticker' }, null)).toEqual(['fallback', true, 'media:sticker']);
    expect(where({ kind: 'media', mediaType: 'image' }, 'menu')).toEqual(['fallback', true, 'media:image']);
  });

  it('hands the facts through unchanged', () => {
    const other = facts({ registered: false, language: 'jv' });
    expect(route({ message: text('menu'), active: null, facts: other }).event.facts).toBe(other);
  });
});
