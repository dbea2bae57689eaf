import { sql } from 'drizzle-orm';
import { type Queryable, rows } from './sql.js';

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
export async function campaignImpact(db: Queryable, campaignId: number, days: number): Promise<Impact> {
  const window = `${days} days`;
  const [r] = await rows<Record<'sent_n' | 'sent_paid' | 'held_n' | 'held_paid', string | number | null>>(
    db,
    sql`with rec as (
        select r.holdout, b.paid_at,
          case when r.holdout then c.started_at
               else coalesce(least(m.sent_at, m.delivered_at, m.read_at), m.occurred_at) end as since
        from campaign_recipients r
        join campaigns c on c.id = r.campaign_id
        join bills b on b.id = r.bill_id
        left join messages m on m.id = r.message_id
        where r.campaign_id = ${campaignId} and (r.holdout or m.wamid is not null))
      select
        count(*) filter (where not holdout) as sent_n,
        count(*) filter (where not holdout and paid_at >= since and paid_at < since + ${window}::interval)
          as sent_paid,
        count(*) filter (where holdout) as held_n,
        count(*) filter (where holdout and paid_at >= since and paid_at < since + ${window}::interval)
          as held_paid
      from rec`,
  );
  const n = (v: string | number | null | undefined) => Number(v ?? 0);
  return differenceOfProportions(
    { n: n(r?.sent_n), paid: n(r?.sent_paid) },
    { n: n(r?.held_n), paid: n(r?.held_paid) },
  );
}
