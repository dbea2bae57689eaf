import { FAQ, LANGUAGES, type Language, PAY_CHANNELS, type Say } from '../../../flows/index.js';
import { type Balance, type RenderContext, renderEffect } from '../../../src/conversations/render.js';
import { createTranslator, type Translator } from '../../../src/i18n/index.js';
import { allTraces, keysOf } from '../flows/support.js';

// Which locale keys the code uses: the flows' keys from every walked path (and the FAQ table), and the
// renderer's from rendering every kind of Say in every language. Shared by the locale and render tests.

export const TO = '6281234567890';
export const TZ = 'Asia/Jakarta';

export function bill(period: string, amount = 36800, code = `KI${period.replace('-', '')}`) {
  const [y, m] = period.split('-');
  return { period, amount, outstanding: amount, dueDate: `${y}-${m}-15`, paymentCode: code };
}

export function balanceOf(periods: string[]): Balance {
  const unpaid = periods.map((p) => bill(p));
  return {
    unpaid,
    total: unpaid.reduce((s, b) => s + b.outstanding, 0),
    earliestDueDate: unpaid.map((b) => b.dueDate).sort()[0] ?? null,
  };
}

/** `count` consecutive months ending with `last` (YYYY-MM). */
export function months(count: number, last = '2026-11'): string[] {
  const [y, m] = last.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const k = y * 12 + (m - 1) - (count - 1 - i);
    return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
  });
}

const none = {} as Record<string, never>;

/** Every kind of Say, with a context that renders it. */
export function renderCases(): { name: string; effect: Say; ctx: Partial<RenderContext> }[] {
  const some = balanceOf(['2026-10', '2026-11']);
  return [
    { name: 'say', effect: { type: 'say', params: { key: 'verify.ask' } }, ctx: {} },
    {
      name: 'say with a time',
      effect: {
        type: 'say',
        params: { key: 'agent.off_duty', vars: { opensAt: '2026-11-23T01:00:00.000Z' } },
      },
      ctx: {},
    },
    {
      name: 'sayButtons',
      effect: {
        type: 'sayButtons',
        params: {
          bodyKey: 'fallback.offer_agent',
          buttons: [
            { id: 'AGENT:not_understood', titleKey: 'common.agent_button' },
            { id: 'MENU', titleKey: 'common.menu_button' },
          ],
        },
      },
      ctx: {},
    },
    { name: 'sayMenu', effect: { type: 'sayMenu', params: none }, ctx: {} },
    { name: 'sayBill', effect: { type: 'sayBill', params: none }, ctx: { balance: some } },
    {
      name: 'sayBill named',
      effect: { type: 'sayBill', params: none },
      ctx: { balance: some, name: 'Siti Aminah' },
    },
    {
      name: 'sayBill, 24 periods',
      effect: { type: 'sayBill', params: none },
      ctx: { balance: balanceOf(months(24)), name: 'Siti' },
    },
    {
      name: 'sayBill, nothing owed',
      effect: { type: 'sayBill', params: none },
      ctx: { balance: balanceOf([]) },
    },
    { name: 'sayPaymentChannels', effect: { type: 'sayPaymentChannels', params: none }, ctx: {} },
    ...PAY_CHANNELS.map((channel) => ({
      name: `sayPaymentSteps ${channel}`,
      effect: { type: 'sayPaymentSteps' as const, params: { channel } },
      ctx: { balance: some, kpj: '12345678901' },
    })),
    {
      name: 'sayPaymentSteps without a KPJ at hand',
      effect: { type: 'sayPaymentSteps', params: { channel: 'dana' } },
      ctx: { balance: some },
    },
    {
      name: 'sayPaymentSteps, nothing owed',
      effect: { type: 'sayPaymentSteps', params: { channel: 'bri' } },
      ctx: { balance: balanceOf([]) },
    },
    { name: 'sayLanguages', effect: { type: 'sayLanguages', params: none }, ctx: {} },
  ];
}

export function contextOf(language: Language, t: Translator, ctx: Partial<RenderContext>): RenderContext {
  return { to: TO, timeZone: TZ, ...ctx, language, t };
}

export function keysUsedByRenderer(): Set<string> {
  const t = createTranslator();
  const used = new Set<string>();
  const recording: Translator = (lang, key, vars) => {
    used.add(key);
    return t(lang, key, vars);
  };
  for (const c of renderCases()) {
    // the say/sayButtons cases name flow keys; the renderer's own keys are what this collects
    if (c.effect.type === 'say' || c.effect.type === 'sayButtons') continue;
    for (const lang of LANGUAGES) renderEffect(c.effect, contextOf(lang, recording, c.ctx));
  }
  return used;
}

export function keysUsedByFlows(): Set<string> {
  const used = new Set<string>();
  for (const t of allTraces())
    for (const s of t.steps) for (const e of s.effects) for (const k of keysOf(e)) used.add(k);
  for (const topic of FAQ) if (topic.key) used.add(topic.key);
  return used;
}
