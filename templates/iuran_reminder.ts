import { CHOICE } from '../flows/types.js';
import { formatDate, formatRupiah } from '../src/i18n/index.js';
import { describePeriods, oneLine, totalOutstanding } from './fill.js';
import type { TemplateDefinition } from './types.js';

/**
 * "Halo {{1}}, iuran BPJS Ketenagakerjaan Anda sebesar {{2}} untuk {{3}} jatuh tempo pada {{4}}."
 * Buttons: my bill, how to pay, stop reminders.
 */
export const iuranReminder: TemplateDefinition = {
  name: 'iuran_reminder',
  category: 'utility',
  languages: ['id', 'en'],
  bodyParameters: [
    { field: 'participant.name', fill: (ctx) => oneLine(ctx.participant.name) },
    { field: 'bills.unpaid.outstanding (sum)', fill: (ctx) => formatRupiah(totalOutstanding(ctx.unpaid)) },
    { field: 'bills.unpaid.period', fill: (ctx, lang) => describePeriods(ctx.unpaid, lang) },
    { field: 'bill.dueDate', fill: (ctx, lang) => formatDate(ctx.bill.dueDate, lang) },
  ],
  quickReplyPayloads: [CHOICE.bill, CHOICE.pay, CHOICE.stop],
};
