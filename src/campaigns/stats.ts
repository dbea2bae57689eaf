import { sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import { type Queryable, rows } from './sql.js';

// What happened to a campaign, as queries over its recipients and their messages (never counters kept by
// hand): a funnel in which a read counts as delivered and sent whatever order its statuses came in, then
// what the participants did after the reminder.

export interface CampaignStats {
  queued: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  replied: number;
  optedOut: number;
  paid: number;
}

export interface CampaignReport {
  stats: CampaignStats;
  failuresByCode: Record<string, number>;
  skippedByReason: Record<string, number>;
  holdout: number;
  recipients: number;
  /** rupiah, from each delivered message's billed category at the configured rate card */
  costIdr: number;
  /** rupiah paid on reminded bills after their reminder */
  paidAfterIdr: number;
}

type Count = string | number | null;

/**
 * What one sent message costs at the rate card, from the pricing its status webhooks reported: only
 * `regular` is billed (free customer-service and free-entry-point messages cost nothing).
 */
const priceOf = (prices: Config['campaigns']['priceIdr']) => sql`case
  when pricing_type is not null and pricing_type <> 'regular' then 0
  when pricing_category = 'utility' then ${prices.utility}
  when pricing_category in ('marketing', 'marketing_lite') then ${prices.marketing}
  when pricing_category = 'service' then ${prices.service}
  else 0 end`;

export interface CostLine {
  /** messages with a billed price reported */
  billed: number;
  idr: number;
}

export interface MessagingCost {
  /** campaign reminders (blast priority) */
  campaigns: CostLine;
  /** the bot's and the officers' replies in conversations (reply priority) */
  conversations: CostLine;
  byCategory: Record<string, CostLine>;
  totalIdr: number;
}

/** What WhatsApp charged for everything sent between two instants, campaigns and conversations apart. */
export async function messagingCost(
  db: Queryable,
  prices: Config['campaigns']['priceIdr'],
  range: { from: Date; to: Date },
): Promise<MessagingCost> {
  const lines = await rows<{ priority: string | null; category: string | null; billed: Count; idr: Count }>(
    db,
    sql`select priority, pricing_category as category,
        count(*) filter (where pricing_type = 'regular') as billed,
        coalesce(sum(${priceOf(prices)}), 0) as idr
      from messages
      where direction = 'out' and wamid is not null and pricing_category is not null
        and coalesce(sent_at, occurred_at) >= ${range.from.toISOString()}::timestamptz
        and coalesce(sent_at, occurred_at) < ${range.to.toISOString()}::timestamptz
      group by priority, pricing_category`,
  );
  const zero = (): CostLine => ({ billed: 0, idr: 0 });
  const out: MessagingCost = { campaigns: zero(), conversations: zero(), byCategory: {}, totalIdr: 0 };
  for (const l of lines) {
    const billed = Number(l.billed ?? 0);
    const idr = Number(l.idr ?? 0);
    const side = l.priority === 'blast' ? out.campaigns : out.conversations;
    side.billed += billed;
    side.idr += idr;
    const name = l.category ?? 'unknown';
    const cat = out.byCategory[name] ?? zero();
    out.byCategory[name] = cat;
    cat.billed += billed;
    cat.idr += idr;
    out.totalIdr += idr;
  }
  return out;
}

/**
 * When the reminder reached the participant's phone as far as we know: the first status time, or, before
 * any status, when it was queued (a payment recorded after that is after the reminder was sent or on its way).
 */
const remindedAt = sql`coalesce(least(m.sent_at, m.delivered_at, m.read_at), m.occurred_at)`;

export async function campaignReport(
  db: Queryable,
  campaignId: number,
  prices: Config['campaigns']['priceIdr'],
): Promise<CampaignReport> {
  const [f] = await rows<
    Record<keyof CampaignStats | 'holdout' | 'recipients' | 'cost' | 'paid_after', Count>
  >(
    db,
    sql`with rec as (
        select r.status as rstatus, r.participant_id, r.bill_id, m.wamid, m.status as mstatus,
          m.contact_key, m.delivered_at, m.read_at, m.pricing_category, m.pricing_type,
          ${remindedAt} as reminded_at
        from campaign_recipients r left join messages m on m.id = r.message_id
        where r.campaign_id = ${campaignId})
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
          select 1 from messages i
          where i.direction = 'in' and i.contact_key = rec.contact_key and i.occurred_at > rec.reminded_at))
          as replied,
        count(*) filter (where wamid is not null and exists (
          select 1 from consents k
          where k.participant_id = rec.participant_id and k.action = 'opt_out'
            and k.created_at > rec.reminded_at)) as "optedOut",
        count(*) filter (where wamid is not null and exists (
          select 1 from bills b where b.id = rec.bill_id and b.paid_at > rec.reminded_at)) as paid,
        coalesce(sum(${priceOf(prices)}), 0) as cost,
        coalesce(sum((select sum(y.amount) from payments y
          where y.bill_id = rec.bill_id and y.paid_at > rec.reminded_at)) filter (where wamid is not null), 0)
          as paid_after
      from rec`,
  );
  const failures = await rows<{ code: number | null; n: Count }>(
    db,
    sql`select m.error_code as code, count(*) as n
      from campaign_recipients r join messages m on m.id = r.message_id
      where r.campaign_id = ${campaignId} and m.status = 'failed'
      group by m.error_code`,
  );
  const skips = await rows<{ reason: string | null; n: Count }>(
    db,
    sql`select r.skip_reason as reason, count(*) as n
      from campaign_recipients r left join messages m on m.id = r.message_id
      where r.campaign_id = ${campaignId} and r.status = 'skipped' and m.wamid is null
      group by r.skip_reason`,
  );
  const n = (v: Count | undefined) => Number(v ?? 0);
  return {
    stats: {
      queued: n(f?.queued),
      sent: n(f?.sent),
      delivered: n(f?.delivered),
      read: n(f?.read),
      failed: n(f?.failed),
      skipped: n(f?.skipped),
      replied: n(f?.replied),
      optedOut: n(f?.optedOut),
      paid: n(f?.paid),
    },
    failuresByCode: Object.fromEntries(failures.map((x) => [String(x.code ?? 'unknown'), n(x.n)])),
    skippedByReason: Object.fromEntries(skips.map((x) => [x.reason ?? 'unknown', n(x.n)])),
    holdout: n(f?.holdout),
    recipients: n(f?.recipients),
    costIdr: n(f?.cost),
    paidAfterIdr: n(f?.paid_after),
  };
}

/**
 * A dry run's estimate: the sendable share at the number's cap, priced at the rate card. Under a messaging
 * limit (WHATSAPP_TIER) a bigger audience takes a day per full budget (as if no other send used it).
 */
export function estimate(
  audienceSize: number,
  holdoutPercent: number,
  mps: number,
  pricePerMessage: number,
  messagingLimit: number | null = null,
): { audienceSize: number; expectedDurationSeconds: number; expectedCostIdr: number } {
  const sendable = audienceSize - Math.floor((audienceSize * holdoutPercent) / 100);
  const fullDays = messagingLimit === null ? 0 : Math.max(0, Math.ceil(sendable / messagingLimit) - 1);
  const lastDay = sendable - fullDays * (messagingLimit ?? 0);
  return {
    audienceSize,
    expectedDurationSeconds: fullDays * 86_400 + Math.ceil(lastDay / mps),
    expectedCostIdr: sendable * pricePerMessage,
  };
}
