import { sql } from 'drizzle-orm';
import {
  bills,
  campaignRecipients,
  campaigns,
  consents,
  type Db,
  messages,
  type OriginKind,
  payments,
  queryRows,
  type Tx,
} from '../../db/index.js';
import { b, c, currentMessage, i, k, m, r, y } from './tables.js';

// What happened, as queries over the recipients and their messages (never counters kept by hand).

type Queryable = Db | Tx;
type Count = string | number | null;

/** Rupiah for each billed category at the rate card. */
export interface RateCard {
  utility: number;
  marketing: number;
  service: number;
}

/**
 * What one sent message costs at the rate card, from the pricing its status webhooks reported: only
 * `regular` is billed (free customer-service and free-entry-point messages cost nothing).
 */
const priceOf = (prices: RateCard) => sql`case
  when ${m.pricingType} is not null and ${m.pricingType} <> 'regular' then 0
  when ${m.pricingCategory} = 'utility' then ${prices.utility}
  when ${m.pricingCategory} in ('marketing', 'marketing_lite') then ${prices.marketing}
  when ${m.pricingCategory} = 'service' then ${prices.service}
  else 0 end`;

/**
 * When the reminder reached the participant's phone as far as we know: the first status time, or, before
 * any status, when it was queued (a payment recorded after that is after the reminder was sent or on its way).
 */
const remindedAt = sql`coalesce(least(${m.sentAt}, ${m.deliveredAt}, ${m.readAt}), ${m.occurredAt})`;

export type FunnelRow = Record<
  | 'recipients'
  | 'holdout'
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'failed'
  | 'skipped'
  | 'replied'
  | 'optedOut'
  | 'paid'
  | 'cost'
  | 'paidAfter',
  Count
>;

/** A campaign's funnel: a read counts as delivered and sent whatever order its statuses came in. */
export async function campaignFunnel(
  db: Queryable,
  campaignId: number,
  prices: RateCard,
): Promise<FunnelRow> {
  const [f] = await queryRows<FunnelRow>(
    db,
    sql`with rec as (
        select ${r.status} as rstatus, ${r.participantId} as participant_id, ${r.billId} as bill_id,
          ${m.wamid} as wamid, ${m.status} as mstatus, ${m.contactKey} as contact_key,
          ${m.deliveredAt} as delivered_at, ${m.readAt} as read_at, ${priceOf(prices)} as price,
          ${remindedAt} as reminded_at
        from ${campaignRecipients} ${r} left join ${messages} ${m} on ${currentMessage}
        where ${r.campaignId} = ${campaignId})
      select
        count(*) as recipients,
        count(*) filter (where rstatus = 'holdout') as holdout,
        count(*) filter (where rstatus in ('pending', 'queued') or wamid is not null) as queued,
        count(*) filter (where wamid is not null) as sent,
        count(*) filter (where delivered_at is not null or read_at is not null) as delivered,
        count(*) filter (where read_at is not null) as read,
        count(*) filter (where mstatus = 'failed') as failed,
        count(*) filter (where rstatus = 'skipped' and wamid is null) as skipped,
        count(*) filter (where wamid is not null and exists (
          select 1 from ${messages} ${i}
          where ${i.direction} = 'in' and ${i.contactKey} = rec.contact_key and ${i.occurredAt} > rec.reminded_at))
          as replied,
        count(*) filter (where wamid is not null and exists (
          select 1 from ${consents} ${k}
          where ${k.participantId} = rec.participant_id and ${k.action} = 'opt_out'
            and ${k.createdAt} > rec.reminded_at)) as "optedOut",
        count(*) filter (where wamid is not null and exists (
          select 1 from ${bills} ${b} where ${b.id} = rec.bill_id and ${b.paidAt} > rec.reminded_at)) as paid,
        coalesce(sum(price), 0) as cost,
        coalesce(sum((select sum(${y.amount}) from ${payments} ${y}
          where ${y.billId} = rec.bill_id and ${y.paidAt} > rec.reminded_at)) filter (where wamid is not null), 0)
          as "paidAfter"
      from rec`,
  );
  return f!;
}

/** Failed reminders of a campaign by the Cloud API's code. */
export async function failuresByCode(db: Queryable, campaignId: number) {
  return queryRows<{ code: number | null; n: Count }>(
    db,
    sql`select ${m.errorCode} as code, count(*) as n
      from ${campaignRecipients} ${r} join ${messages} ${m} on ${currentMessage}
      where ${r.campaignId} = ${campaignId} and ${m.status} = 'failed'
      group by ${m.errorCode}`,
  );
}

/** Reminders skipped unsent, by reason. */
export async function skipsByReason(db: Queryable, campaignId: number) {
  return queryRows<{ reason: string | null; n: Count }>(
    db,
    sql`select ${r.skipReason} as reason, count(*) as n
      from ${campaignRecipients} ${r} left join ${messages} ${m} on ${currentMessage}
      where ${r.campaignId} = ${campaignId} and ${r.status} = 'skipped' and ${m.wamid} is null
      group by ${r.skipReason}`,
  );
}

export interface CostRow {
  origin: OriginKind | null;
  category: string | null;
  billed: Count;
  idr: Count;
}

/** What WhatsApp charged for what was sent between two instants, by origin and billed category. */
export async function costByOrigin(
  db: Queryable,
  prices: RateCard,
  range: { from: Date; to: Date },
): Promise<CostRow[]> {
  const sentAt = sql`coalesce(${m.sentAt}, ${m.occurredAt})`;
  return queryRows<CostRow>(
    db,
    sql`select ${m.originKind} as origin, ${m.pricingCategory} as category,
        count(*) filter (where ${m.pricingType} = 'regular') as billed,
        coalesce(sum(${priceOf(prices)}), 0) as idr
      from ${messages} ${m}
      where ${m.direction} = 'out' and ${m.wamid} is not null and ${m.pricingCategory} is not null
        and ${sentAt} >= ${range.from.toISOString()}::timestamptz
        and ${sentAt} < ${range.to.toISOString()}::timestamptz
      group by ${m.originKind}, ${m.pricingCategory}`,
  );
}

/**
 * Paid within `days` of the reminder (sent group) or of the campaign's start (held-out group, who got no
 * reminder to time from). A reminder that failed still counts as sent: the comparison is of intentions.
 */
export async function paidWithin(db: Queryable, campaignId: number, days: number) {
  const window = `${days} days`;
  const [row] = await queryRows<Record<'sent_n' | 'sent_paid' | 'held_n' | 'held_paid', Count>>(
    db,
    sql`with rec as (
        select ${r.holdout} as holdout, ${b.paidAt} as paid_at,
          case when ${r.holdout} then ${c.startedAt} else ${remindedAt} end as since
        from ${campaignRecipients} ${r}
        join ${campaigns} ${c} on ${c.id} = ${r.campaignId}
        join ${bills} ${b} on ${b.id} = ${r.billId}
        left join ${messages} ${m} on ${currentMessage}
        where ${r.campaignId} = ${campaignId} and (${r.holdout} or ${m.wamid} is not null))
      select
        count(*) filter (where not holdout) as sent_n,
        count(*) filter (where not holdout and paid_at >= since and paid_at < since + ${window}::interval)
          as sent_paid,
        count(*) filter (where holdout) as held_n,
        count(*) filter (where holdout and paid_at >= since and paid_at < since + ${window}::interval)
          as held_paid
      from rec`,
  );
  return row;
}
