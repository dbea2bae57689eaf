import { formatPeriod } from '../src/i18n/index.js';
import type { TemplateBill, TemplateContext, TemplateLanguage } from './types.js';

// Shared ways of writing bill facts into parameters. A template parameter is one line of at most a few
// dozen characters in practice, so a long list of periods is written as a range instead.

/** At most this many periods are named one by one; more read as "first – last". */
const PERIODS_NAMED = 3;

export const totalOutstanding = (bills: readonly TemplateBill[]): number =>
  bills.reduce((sum, b) => sum + b.outstanding, 0);

/** `November 2026`, `Oktober 2026, November 2026`, or `Januari 2026 – November 2026` for many. */
export function describePeriods(bills: readonly TemplateBill[], lang: TemplateLanguage): string {
  const periods = [...new Set(bills.map((b) => b.period))].sort();
  if (periods.length === 0) throw new Error('a reminder needs at least one unpaid period');
  if (periods.length <= PERIODS_NAMED) return periods.map((p) => formatPeriod(p, lang)).join(', ');
  return `${formatPeriod(periods[0]!, lang)} – ${formatPeriod(periods[periods.length - 1]!, lang)}`;
}

/** The unpaid bills already past their due date; when none is (yet), every unpaid one. */
export function overdueBills(ctx: TemplateContext): TemplateBill[] {
  const overdue = ctx.unpaid.filter((b) => b.dueDate < ctx.today);
  return overdue.length > 0 ? overdue : ctx.unpaid;
}

/** Template parameters may hold no newline, tab or run of spaces (Meta answers 132012 otherwise). */
export const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
