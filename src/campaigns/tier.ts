import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { type Queryable, rows } from './sql.js';

// WhatsApp's messaging limit (WHATSAPP.md 5.4, WHATSAPP_TIER): at most N unique users reached outside a
// customer service window in a moving 24 hours, across every campaign (and every other template) of the
// business. The budget is read from what was actually sent, not from a counter: the contacts an accepted,
// not failed template went to in the last 24 h whose window was closed at the time, plus the contacts of
// campaign reminders claimed and not accepted yet (in flight). A reminder to a contact already counted, or
// whose window is open, costs nothing. Reminders beyond the budget stay pending (held, never skipped) and
// are claimed as the oldest sends leave the 24 hours.

const DAY = '24 hours';
/**
 * Templates queued longer ago than this are not looked at: one sent more than a day after it was queued
 * (held over consecutive holidays) may be missed by the count. It keeps the scan on the index's last days.
 */
const QUEUED_HORIZON = '48 hours';
/** Candidates looked at beyond the room, to find reminders that cost nothing when the budget is spent. */
const LOOKAHEAD = 2000;
/** One lock for every claim under a limit, so two processes or two campaigns never spend the same budget. */
const LOCK_KEY = 7_734_120;

/** When a template sent at `m` reached its contact, as far as we know (its first status, else its queueing). */
const sentAt = sql`coalesce(least(m.sent_at, m.delivered_at, m.read_at), m.occurred_at)`;

/** Contacts that count against the budget at `at`: reached outside their window in the last 24 h, or in flight. */
const counted = (at: string) => sql`
  select m.contact_key as k
  from messages m
  where m.direction = 'out' and m.type = 'template' and m.wamid is not null and m.status <> 'failed'
    and m.occurred_at > ${at}::timestamptz - ${QUEUED_HORIZON}::interval
    and ${sentAt} > ${at}::timestamptz - ${DAY}::interval
    and not exists (
      select 1 from messages i
      where i.direction = 'in' and i.contact_key = m.contact_key
        and i.occurred_at <= ${sentAt} and i.occurred_at > ${sentAt} - ${DAY}::interval)
  union
  select p.wa_id as k
  from campaign_recipients r
  join participants p on p.id = r.participant_id
  left join messages m on m.id = r.message_id
  where r.status = 'queued' and r.settled_at is null and m.wamid is null
    and not exists (
      select 1 from contacts c
      where c.contact_key = p.wa_id and c.last_inbound_at > ${at}::timestamptz - ${DAY}::interval)`;

/** Unique contacts counted against the limit at `at` (for reports and tests). */
export async function budgetUsed(db: Queryable, at: Date): Promise<number> {
  const [row] = await rows<{ n: string | number }>(
    db,
    sql`select count(*) as n from (${counted(at.toISOString())}) s`,
  );
  return Number(row?.n ?? 0);
}

export interface ClaimedRow {
  id: number;
  participant_id: number;
  bill_id: number;
  attempts: number;
}

/**
 * Claims up to `room` pending reminders of the campaign (oldest first) within the budget `limit`: those
 * that cost nothing always, the others while budget is left. Serialised across processes by a transaction
 * advisory lock, so the in-flight part of the count includes every other claim.
 */
export async function claimWithinLimit(
  db: Db,
  campaignId: number,
  room: number,
  limit: number,
  at: Date,
): Promise<{ claimed: ClaimedRow[]; held: boolean }> {
  const t = at.toISOString();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_KEY})`);
    const [out] = await rows<{ claimed: ClaimedRow[] | null; held: boolean }>(
      tx,
      sql`with counted as (${counted(t)}),
        budget as (select greatest(${limit} - (select count(*) from counted), 0) as left_),
        cand as (
          select r.id, (p.wa_id in (select k from counted) or exists (
              select 1 from contacts c
              where c.contact_key = p.wa_id and c.last_inbound_at > ${t}::timestamptz - ${DAY}::interval))
            as free
          from campaign_recipients r join participants p on p.id = r.participant_id
          where r.campaign_id = ${campaignId} and r.status = 'pending'
            and (r.not_before is null or r.not_before <= ${t}::timestamptz)
          order by r.id
          limit ${room + LOOKAHEAD}),
        ranked as (select id, free, row_number() over (partition by free order by id) as n from cand),
        pick as (
          select id from ranked where free or n <= (select left_ from budget)
          order by id limit ${room}),
        claimed as (
          update campaign_recipients set status = 'queued', queued_at = now()
          where id in (select id from pick) and status = 'pending'
          returning id, participant_id, bill_id, attempts)
        select (select json_agg(claimed order by id) from claimed) as claimed,
          exists (select 1 from ranked where not free and n > (select left_ from budget)) as held`,
    );
    return { claimed: out?.claimed ?? [], held: out?.held ?? false };
  });
}
