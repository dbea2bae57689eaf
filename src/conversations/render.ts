import {
  CHOICE,
  CHOICE_PREFIX,
  LANGUAGES,
  type Language,
  MENU_ROWS,
  PAY_CHANNELS,
  type PayChannel,
  type Say,
} from '../../flows/index.js';
import type { Translator, Vars } from '../i18n/index.js';
import { formatDate, formatDateTime, formatPeriod, formatRupiah } from '../i18n/index.js';
import type { Balance, UnpaidBill } from '../participants/index.js';
import { buttonMessage, LIMITS, listMessage, type OutboundBody, textMessage } from '../whatsapp/index.js';

// Turns a flow's Say effect into Cloud API bodies in the participant's language. Pure: the engine loads
// the balance and passes it in; only it knows whether this number may see one.

export type { Balance, UnpaidBill };

export interface RenderContext {
  /** wa_id, or BSUID for a sender known only by one */
  to: string;
  language: Language;
  name?: string;
  /** the participant's KPJ: DANA and the post office ask for it instead of the payment code */
  kpj?: string;
  /** only for a registered number whose birth date is confirmed; sayBill and sayPaymentSteps need it */
  balance?: Balance;
  /** BUSINESS_TZ, for times in messages */
  timeZone: string;
  t: Translator;
}

/** The list's sections, with the channels in PAY_CHANNELS order. */
const CHANNEL_SECTIONS: { key: string; channels: PayChannel[] }[] = [
  { key: 'pay.banks_section', channels: ['bri', 'mandiri', 'bni', 'btn'] },
  { key: 'pay.others_section', channels: ['pos', 'dana', 'linkaja'] },
  { key: 'pay.in_person_section', channels: ['perisai', 'office'] },
];

/** Periods shown one by one in a bill; older ones share one summary line. */
const BILL_LINES = 6;

function formatVars(vars: Vars | undefined, ctx: RenderContext): Vars | undefined {
  if (!vars) return undefined;
  const out: Vars = {};
  for (const [name, value] of Object.entries(vars)) {
    out[name] =
      name.endsWith('At') && typeof value === 'string' && value !== ''
        ? formatDateTime(value, ctx.language, ctx.timeZone)
        : value;
  }
  return out;
}

function needBalance(effect: Say, ctx: RenderContext): Balance {
  if (!ctx.balance) {
    throw new Error(`${effect.type} needs the participant's balance: render it only for a confirmed number`);
  }
  return ctx.balance;
}

const byPeriod = (a: UnpaidBill, b: UnpaidBill) => a.period.localeCompare(b.period);

/** The bill's text: newest periods one by one, older ones summed up, total and earliest due date. */
export function billText(balance: Balance, ctx: RenderContext, shown = BILL_LINES): string {
  const { t, language: lang } = ctx;
  const unpaid = [...balance.unpaid].sort(byPeriod);
  const lines: string[] = [
    ctx.name ? t(lang, 'bill.header_named', { name: ctx.name }) : t(lang, 'bill.header'),
  ];
  const older = unpaid.length > shown ? unpaid.slice(0, unpaid.length - shown + 1) : [];
  const recent = unpaid.slice(older.length);
  const first = older[0];
  const last = older[older.length - 1];
  if (first && last) {
    lines.push(
      t(lang, 'bill.older_line', {
        from: formatPeriod(first.period, lang),
        to: formatPeriod(last.period, lang),
        count: older.length,
        amount: formatRupiah(older.reduce((sum, b) => sum + b.outstanding, 0)),
      }),
    );
  }
  for (const b of recent) {
    lines.push(
      t(lang, 'bill.line', { period: formatPeriod(b.period, lang), amount: formatRupiah(b.outstanding) }),
    );
  }
  lines.push('', t(lang, 'bill.total', { total: formatRupiah(balance.total) }));
  if (balance.earliestDueDate)
    lines.push(t(lang, 'bill.due', { date: formatDate(balance.earliestDueDate, lang) }));
  lines.push('', t(lang, 'bill.pay_hint'));
  const text = lines.join('\n');
  // a long name or many periods: summarise more until it fits one interactive message
  if (Array.from(text).length > LIMITS.interactiveBody && shown > 1) return billText(balance, ctx, shown - 1);
  return text;
}

function renderBill(effect: Say, ctx: RenderContext): OutboundBody[] {
  const { t, language: lang, to } = ctx;
  const balance = needBalance(effect, ctx);
  if (balance.total <= 0 || balance.unpaid.length === 0)
    return [textMessage(to, t(lang, 'bill.nothing_owed'))];
  return [
    buttonMessage(to, {
      body: billText(balance, ctx),
      buttons: [
        { id: CHOICE.menuPay, title: t(lang, 'common.pay_button') },
        { id: CHOICE.menu, title: t(lang, 'common.menu_button') },
      ],
    }),
  ];
}

function renderSteps(effect: Extract<Say, { type: 'sayPaymentSteps' }>, ctx: RenderContext): OutboundBody[] {
  const { t, language: lang, to } = ctx;
  const { channel } = effect.params;
  if (!(PAY_CHANNELS as readonly string[]).includes(channel))
    throw new Error(`unknown payment channel "${channel}"`);
  const balance = needBalance(effect, ctx);
  const first = [...balance.unpaid].sort(byPeriod)[0];
  if (balance.total <= 0 || !first) return [textMessage(to, t(lang, 'pay.nothing_owed'))];
  const body = t(lang, `pay.steps.${channel}`, {
    code: first.paymentCode,
    amount: formatRupiah(balance.total),
    kpj: ctx.kpj ?? t(lang, 'pay.kpj_on_card'),
  });
  return [
    buttonMessage(to, {
      body,
      buttons: [
        { id: CHOICE.menuPay, title: t(lang, 'pay.other_channel_button') },
        { id: CHOICE.menu, title: t(lang, 'common.menu_button') },
      ],
    }),
  ];
}

export function renderEffect(effect: Say, ctx: RenderContext): OutboundBody[] {
  const { t, language: lang, to } = ctx;
  switch (effect.type) {
    case 'say':
      return [textMessage(to, t(lang, effect.params.key, formatVars(effect.params.vars, ctx)))];
    case 'sayButtons':
      return [
        buttonMessage(to, {
          body: t(lang, effect.params.bodyKey, formatVars(effect.params.vars, ctx)),
          buttons: effect.params.buttons.map((b) => ({ id: b.id, title: t(lang, b.titleKey) })),
        }),
      ];
    case 'sayMenu':
      return [
        listMessage(to, {
          body: t(lang, 'menu.body'),
          button: t(lang, 'menu.open_list'),
          sections: [
            {
              title: t(lang, 'menu.services_section'),
              rows: MENU_ROWS.map((row) => ({
                id: row.id,
                title: t(lang, `${row.key}_row`),
                description: t(lang, `${row.key}_desc`),
              })),
            },
          ],
        }),
      ];
    case 'sayBill':
      return renderBill(effect, ctx);
    case 'sayPaymentChannels':
      return [
        listMessage(to, {
          body: t(lang, 'pay.channels_body'),
          button: t(lang, 'pay.channels_list'),
          sections: CHANNEL_SECTIONS.map((section) => ({
            title: t(lang, section.key),
            rows: section.channels.map((channel) => ({
              id: `${CHOICE_PREFIX.payChannel}${channel}`,
              title: t(lang, `pay.channel.${channel}_row`),
              description: t(lang, `pay.channel.${channel}_desc`),
            })),
          })),
        }),
      ];
    case 'sayPaymentSteps':
      return renderSteps(effect, ctx);
    case 'sayLanguages':
      return [
        buttonMessage(to, {
          body: t(lang, 'language.choose'),
          // each language's own name, whatever the current language
          buttons: LANGUAGES.map((l) => ({
            id: `${CHOICE_PREFIX.language}${l}`,
            title: t(l, `language.${l}_button`),
          })),
        }),
      ];
  }
}
