import type { Db, Tx } from '../db/index.js';
import { paidWithin } from './repository/index.js';

// Did the reminders make people pay? Sent and held-out recipients were drawn at random from one audience,
// so the difference of the shares who paid within N days estimates the reminder's effect.

const Z95 = 1.959964;

export interface Group {
  n: number;
  paid: number;
}

export interface Impact {
  sent: Group;
  holdout: Group;
  /** share paid among the sent minus share paid among the held-out; null while a group is empty */
  uplift: number | null;
  /** Wald interval of the difference of two independent proportions */
  ci95: [number, number] | null;
}

export function differenceOfProportions(sent: Group, holdout: Group): Impact {
  if (sent.n === 0 || holdout.n === 0) return { sent, holdout, uplift: null, ci95: null };
  const p1 = sent.paid / sent.n;
  const p2 = holdout.paid / holdout.n;
  const se = Math.sqrt((p1 * (1 - p1)) / sent.n + (p2 * (1 - p2)) / holdout.n);
  const uplift = p1 - p2;
  return { sent, holdout, uplift, ci95: [uplift - Z95 * se, uplift + Z95 * se] };
}

/**
 * Paid within `days` of the reminder (sent group) or of the campaign's start (held-out group, who got no
 * reminder to time from). A reminder that failed still counts as sent: the comparison is of intentions.
 */
export async function campaignImpact(db: Db | Tx, campaignId: number, days: number): Promise<Impact> {
  const r = await paidWithin(db, campaignId, days);
  const n = (v: string | number | null | undefined) => Number(v ?? 0);
  return differenceOfProportions(
    { n: n(r?.sent_n), paid: n(r?.sent_paid) },
    { n: n(r?.held_n), paid: n(r?.held_paid) },
  );
}
