import { CHOICE } from '../flows/types.js';
import { formatPeriod, formatRupiah } from '../src/i18n/index.js';
import { oneLine, overdueBills, totalOutstanding } from './fill.js';
import type { TemplateDefinition } from './types.js';

/**
 * "Halo {{1}}, tunggakan iuran Anda {{2}} untuk {{3}} bulan, sejak {{4}}."
 * Buttons: my bill, how to pay, talk to an officer.
 */
export const iuranOverdue: TemplateDefinition = {
  name: 'iuran_overdue',
  category: 'utility',
  languages: ['id', 'en'],
  bodyParameters: [
    { field: 'participant.name', fill: (ctx) => oneLine(ctx.participant.name) },
    {
      field: 'bills.overdue.outstanding (sum)',
      fill: (ctx) => formatRupiah(totalOutstanding(overdueBills(ctx))),
    },
    { field: 'bills.overdue (count)', fill: (ctx) => String(overdueBills(ctx).length) },
    {
      field: 'bills.overdue.period (earliest)',
      fill: (ctx, lang) =>
        formatPeriod(
          [...overdueBills(ctx)].sort((a, b) => a.period.localeCompare(b.period))[0]!.period,
          lang,
        ),
    },
  ],
  quickReplyPayloads: [CHOICE.bill, CHOICE.pay, CHOICE.agent],
};
