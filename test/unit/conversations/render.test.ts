import { describe, expect, it } from 'vitest';
import { CHOICE, LANGUAGES, type Language, PAY_CHANNELS, type Say } from '../../../flows/index.js';
import { type RenderContext, renderEffect } from '../../../src/conversations/render.js';
import {
  createTranslator,
  formatDate,
  formatDateTime,
  formatPeriod,
  formatRupiah,
} from '../../../src/i18n/index.js';
import type { InteractiveBody, OutboundBody } from '../../../src/whatsapp/index.js';
import { validateOas } from '../../support/openapi.js';
import { balanceOf, bill, contextOf, months, renderCases, TO } from '../locales/usage.js';

const t = createTranslator();
const ctx = (language: Language, over: Partial<RenderContext> = {}) => contextOf(language, t, over);
const none = {} as Record<string, never>;

function bodyText(b: OutboundBody): string {
  if (b.type === 'text') return b.text.body;
  if (b.type === 'interactive') return b.interactive.body.text;
  throw new Error('no templates here');
}
const interactive = (b: OutboundBody | undefined) => b as InteractiveBody;

describe('format', () => {
  it.each([
    [36800, 'Rp36.800'],
    [16800, 'Rp16.800'],
    [0, 'Rp0'],
    [999, 'Rp999'],
    [1000, 'Rp1.000'],
    [1234567, 'Rp1.234.567'],
    [883200.4, 'Rp883.200'],
  ])('formatRupiah(%d) = %s', (n, s) => {
    expect(formatRupiah(n)).toBe(s);
  });

  it('writes dates and periods with the same month names for id and jv, English ones for en', () => {
    expect(formatDate('2026-11-15', 'id')).toBe('15 November 2026');
    expect(formatDate('2026-08-05', 'id')).toBe('5 Agustus 2026');
    expect(formatDate('2026-08-05', 'jv')).toBe('5 Agustus 2026');
    expect(formatDate('2026-08-05', 'en')).toBe('5 August 2026');
    expect(formatPeriod('2026-11', 'id')).toBe('November 2026');
    expect(formatPeriod('2027-02', 'id')).toBe('Februari 2027');
    expect(formatPeriod('2027-02', 'en')).toBe('February 2027');
    expect(formatPeriod('2026-05', 'jv')).toBe('Mei 2026');
    expect(() => formatPeriod('2026-11-01', 'id')).toThrow();
  });

  it('writes a time in the business time zone with its everyday name', () => {
    const monday8 = '2026-11-30T01:00:00.000Z';
    expect(formatDateTime(monday8, 'id', 'Asia/Jakarta')).toBe('Senin, 30 November 2026 pukul 08.00 WIB');
    expect(formatDateTime(monday8, 'en', 'Asia/Jakarta')).toBe('Monday 30 November 2026 at 08:00 WIB');
    expect(formatDateTime(monday8, 'jv', 'Asia/Jakarta')).toBe('Senin, 30 November 2026 jam 08.00 WIB');
    // 23:30 UTC on Sunday is already Monday in Jakarta
    expect(formatDateTime('2026-11-29T23:30:00Z', 'id', 'Asia/Jakarta')).toBe(
      'Senin, 30 November 2026 pukul 06.30 WIB',
    );
    expect(formatDateTime(monday8, 'id', 'Asia/Makassar')).toBe('Senin, 30 November 2026 pukul 09.00 WITA');
    expect(formatDateTime(monday8, 'en', 'UTC')).toMatch(/^Monday 30 November 2026 at 01:00 (GMT|UTC)/);
  });
});

describe('renderEffect: every kind of Say in every language', () => {
  const cases = renderCases();

  it.each(LANGUAGES.flatMap((lang) => cases.map((c) => [lang, c.name, c] as const)))(
    '%s: %s is a valid Cloud API body',
    (lang, _, c) => {
      const bodies = renderEffect(c.effect, ctx(lang, c.ctx));
      expect(bodies.length).toBeGreaterThan(0);
      for (const body of bodies) {
        const schema = body.type === 'text' ? 'TextMessage' : 'InteractiveMessage';
        expect(validateOas(schema, body).errors).toBe('');
        expect(body).toMatchObject({ to: TO, messaging_product: 'whatsapp' });
        const text = bodyText(body);
        expect(text).not.toMatch(/\{\{|\}\}|undefined|NaN|\[object/);
        if (body.type === 'interactive') expect(Array.from(text).length).toBeLessThanOrEqual(1024);
      }
    },
  );

  it('says a plain key as text', () => {
    expect(renderEffect({ type: 'say', params: { key: 'verify.ask' } }, ctx('en'))).toEqual([
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: TO,
        type: 'text',
        text: {
          body: 'To keep your data safe, please type your date of birth.\nExample: 17-08-1965 (day-month-year).',
          preview_url: false,
        },
      },
    ]);
  });

  it('writes a var ending in At as the local date and time', () => {
    const effect: Say = {
      type: 'say',
      params: { key: 'agent.off_duty', vars: { opensAt: '2026-11-23T01:00:00.000Z' } },
    };
    expect(bodyText(renderEffect(effect, ctx('id'))[0] as OutboundBody)).toContain(
      'Senin, 23 November 2026 pukul 08.00 WIB',
    );
    expect(bodyText(renderEffect(effect, ctx('en'))[0] as OutboundBody)).toContain(
      'Monday 23 November 2026 at 08:00 WIB',
    );
  });

  it('addresses a BSUID-only sender by recipient', () => {
    const [body] = renderEffect(
      { type: 'sayMenu', params: none },
      ctx('id', { to: 'ID.13491208655302741918' }),
    );
    expect(body).toMatchObject({ recipient: 'ID.13491208655302741918' });
    expect(body).not.toHaveProperty('to');
  });

  it('the menu: five rows, numbered, with the menu ids', () => {
    for (const lang of LANGUAGES) {
      const body = interactive(renderEffect({ type: 'sayMenu', params: none }, ctx(lang))[0]);
      if (body.interactive.type !== 'list') throw new Error('expected a list');
      const rows = body.interactive.action.sections.flatMap((s) => s.rows);
      expect(rows.map((r) => r.id)).toEqual([
        CHOICE.menuBill,
        CHOICE.menuPay,
        CHOICE.menuAgent,
        CHOICE.menuLanguage,
        CHOICE.menuStop,
      ]);
      expect(rows.map((r) => r.title.slice(0, 2))).toEqual(['1.', '2.', '3.', '4.', '5.']);
    }
  });

  it('the languages: three buttons, each in its own language whatever the current one', () => {
    for (const lang of LANGUAGES) {
      const body = interactive(renderEffect({ type: 'sayLanguages', params: none }, ctx(lang))[0]);
      if (body.interactive.type !== 'button') throw new Error('expected buttons');
      expect(body.interactive.action.buttons.map((b) => [b.reply.id, b.reply.title])).toEqual([
        ['LANG:id', 'Bahasa Indonesia'],
        ['LANG:en', 'English'],
        ['LANG:jv', 'Basa Jawa'],
      ]);
    }
  });

  it('the payment channels: every confirmed channel once, in sections', () => {
    const body = interactive(renderEffect({ type: 'sayPaymentChannels', params: none }, ctx('id'))[0]);
    if (body.interactive.type !== 'list') throw new Error('expected a list');
    expect(body.interactive.action.sections.length).toBe(3);
    const ids = body.interactive.action.sections.flatMap((s) => s.rows.map((r) => r.id));
    expect(ids.sort()).toEqual(PAY_CHANNELS.map((c) => `PAYCH:${c}`).sort());
  });
});

describe('renderEffect: the bill', () => {
  const sayBill: Say = { type: 'sayBill', params: none };

  it('lists periods, amounts, the total and the earliest due date, with a way to pay', () => {
    const [body] = renderEffect(sayBill, ctx('id', { balance: balanceOf(['2026-10', '2026-11']) }));
    expect(bodyText(body as OutboundBody)).toBe(
      [
        'Iuran yang belum dibayar:',
        '• Oktober 2026: Rp36.800',
        '• November 2026: Rp36.800',
        '',
        'Total: Rp73.600',
        'Batas bayar: 15 Oktober 2026',
        '',
        'Ketuk Cara bayar untuk langkah-langkahnya.',
      ].join('\n'),
    );
    const i = interactive(body);
    if (i.interactive.type !== 'button') throw new Error('expected buttons');
    expect(i.interactive.action.buttons.map((b) => b.reply.id)).toEqual([CHOICE.menuPay, CHOICE.menu]);
  });

  it('in English, with the name', () => {
    const [body] = renderEffect(sayBill, ctx('en', { name: 'Budi', balance: balanceOf(['2026-11']) }));
    const text = bodyText(body as OutboundBody);
    expect(text).toContain('Budi, these contributions are still unpaid:');
    expect(text).toContain('• November 2026: Rp36.800');
    expect(text).toContain('Pay by: 15 November 2026');
  });

  it('shows what is left of a partly paid period, oldest first', () => {
    const balance = {
      unpaid: [bill('2026-11'), { ...bill('2026-09'), outstanding: 16800 }],
      total: 53600,
      earliestDueDate: '2026-09-15',
    };
    const text = bodyText(renderEffect(sayBill, ctx('id', { balance }))[0] as OutboundBody);
    expect(text.indexOf('September 2026: Rp16.800')).toBeLessThan(text.indexOf('November 2026: Rp36.800'));
    expect(text).toContain('Total: Rp53.600');
  });

  it('nothing owed: says so', () => {
    for (const lang of LANGUAGES) {
      const [body] = renderEffect(sayBill, ctx(lang, { balance: balanceOf([]) }));
      expect(body?.type).toBe('text');
      expect(bodyText(body as OutboundBody)).toBe(t(lang, 'bill.nothing_owed'));
    }
  });

  it('24 unpaid periods: the oldest summed up in one line, within 1024 characters', () => {
    const periods = months(24);
    for (const lang of LANGUAGES) {
      const balance = balanceOf(periods);
      const [body] = renderEffect(sayBill, ctx(lang, { balance, name: 'Sri Rahayu Ningsih Wulandari' }));
      const text = bodyText(body as OutboundBody);
      expect(Array.from(text).length).toBeLessThanOrEqual(1024);
      expect(text).toContain(formatRupiah(24 * 36800));
      expect(text).toContain(formatPeriod(periods[0] as string, lang));
      expect(text).toContain(formatPeriod('2026-11', lang));
      expect(text).toContain('(19');
      expect(text.split('\n').filter((l) => l.startsWith('•')).length).toBe(6);
    }
    const text = bodyText(
      renderEffect(sayBill, ctx('id', { balance: balanceOf(periods) }))[0] as OutboundBody,
    );
    expect(text).toContain('• Desember 2024 s.d. Juni 2026 (19 bulan): Rp699.200');
  });

  it('summarises more when even six lines would not fit', () => {
    const name = 'N'.repeat(700);
    const text = bodyText(
      renderEffect(sayBill, ctx('jv', { balance: balanceOf(months(24)), name }))[0] as OutboundBody,
    );
    expect(Array.from(text).length).toBeLessThanOrEqual(1024);
  });

  it('refuses to render without a balance: the engine must never ask for an unconfirmed number', () => {
    expect(() => renderEffect(sayBill, ctx('id'))).toThrow(/balance/);
    expect(() => renderEffect({ type: 'sayPaymentSteps', params: { channel: 'bri' } }, ctx('id'))).toThrow(
      /balance/,
    );
  });
});

describe('renderEffect: payment steps', () => {
  const steps = (channel: string, over: Partial<RenderContext> = {}, lang: Language = 'id') =>
    bodyText(
      renderEffect(
        { type: 'sayPaymentSteps', params: { channel } },
        ctx(lang, { balance: balanceOf(['2026-11', '2026-10']), kpj: '12345678901', ...over }),
      )[0] as OutboundBody,
    );

  it('use the oldest unpaid bill’s payment code and the total outstanding', () => {
    const text = steps('bri');
    expect(text).toContain('KI202610');
    expect(text).not.toContain('KI202611');
    expect(text).toContain('Rp73.600');
    expect(text).toMatch(/^Cara bayar lewat BRI:\n1\. /);
  });

  it.each(PAY_CHANNELS.map((c) => [c]))('%s: numbered steps with the amount in every language', (channel) => {
    for (const lang of LANGUAGES) {
      const text = steps(channel, {}, lang);
      expect(text).toContain('Rp73.600');
      expect(text).toMatch(/\n1\. /);
      expect(text).toMatch(/\n3\. /);
    }
  });

  it('DANA and the post office ask for the KPJ; LinkAja for the NIK, which we never show', () => {
    expect(steps('dana')).toContain('12345678901');
    expect(steps('pos')).toContain('12345678901');
    expect(steps('dana', { kpj: undefined } as Partial<RenderContext>)).toContain(t('id', 'pay.kpj_on_card'));
    expect(steps('linkaja')).not.toContain('KI202610');
    expect(steps('linkaja')).toContain('NIK');
  });

  it('nothing owed: says so instead', () => {
    const [body] = renderEffect(
      { type: 'sayPaymentSteps', params: { channel: 'bri' } },
      ctx('en', { balance: balanceOf([]) }),
    );
    expect(bodyText(body as OutboundBody)).toBe(t('en', 'pay.nothing_owed'));
  });

  it('refuses an unknown channel', () => {
    expect(() =>
      renderEffect(
        { type: 'sayPaymentSteps', params: { channel: 'gopay' } },
        ctx('id', { balance: balanceOf(['2026-11']) }),
      ),
    ).toThrow(/gopay/);
  });
});
