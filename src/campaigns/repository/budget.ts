import { sql } from 'drizzle-orm';
import {
  campaignRecipients,
  col,
  contacts,
  type Db,
  messages,
  participants,
  queryRows,
} from '../../db/index.js';
import { SERVICE_WINDOW_INTERVAL } from '../../whatsapp/index.js';
import type { Reminder } from './recipients.js';
import { ct, currentMessage, i, m, num, p, r } from './tables.js';

// WhatsApp's messaging limit (WHATSAPP_TIER): at most N unique users reached outside a
// customer service window in a moving 24 hours, across every campaign (and every other template) of the
// business. The budget is read from what was actually sent, not from a counter: the contacts an accepted,
// not failed template went to in the last 24 h whose window was closed at the time, plus the contacts of
// campaign reminders claimed and not accepted yet (in flight). A reminder to a contact already counted, or
// whose window is open, costs nothing. Reminders beyond the budget stay pending (held, never skipped) and
// are claimed as the oldest sends leave the 24 hours.

/** The messaging limit's rolling period. */
const TIER_PERIOD = '24 hours';
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
const sentAt = sql`coalesce(least(${m.sentAt}, ${m.deliveredAt}, ${m.readAt}), ${m.occurredAt})`;

/** The window of `contactKey` was open at `at` (whatsapp/window.ts: a message from it in the window before). */
const windowOpen = (contactKey: unknown, at: string) => sql`exists (
  select 1 from ${contacts} ${ct}
  where ${ct.contactKey} = ${contactKey}
    and ${ct.lastInboundAt} > ${at}::timestamptz - ${SERVICE_WINDOW_INTERVAL}::interval)`;

/** Contacts that count against the budget at `at`: reached outside their window in the last 24 h, or in flight. */
const counted = (at: string) => sql`
  select ${m.contactKey} as k
  from ${messages} ${m}
  where ${m.direction} = 'out' and ${m.type} = 'template' and ${m.wamid} is not null and ${m.status} <> 'failed'
    and ${m.occurredAt} > ${at}::timestamptz - ${QUEUED_HORIZON}::interval
    and ${sentAt} > ${at}::timestamptz - ${TIER_PERIOD}::interval
    and not exists (
      select 1 from ${messages} ${i}
      where ${i.direction} = 'in' and ${i.contactKey} = ${m.contactKey}
        and ${i.occurredAt} <= ${sentAt} and ${i.occurredAt} > ${sentAt} - ${SERVICE_WINDOW_INTERVAL}::interval)
  union
  select ${p.waId} as k
  from ${campaignRecipients} ${r}
  join ${participants} ${p} on ${p.id} = ${r.participantId}
  left join ${messages} ${m} on ${currentMessage}
  where ${r.status} = 'queued' and ${r.settledAt} is null and ${m.wamid} is null
    and not ${windowOpen(p.waId, at)}`;

/** Unique contacts counted against the limit at `at` (for reports and tests). */
export async function budgetUsed(db: Db, at: Date): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    db,
    sql`select count(*) as n from (${counted(at.toISOString())}) s`,
  );
  return num(row?.n);
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
): Promise<{ claimed: Reminder[]; held: boolean }> {
  const t = at.toISOString();
  const R = campaignRecipients;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_KEY})`);
    const [out] = await queryRows<{ claimed: Reminder[] | null; held: boolean }>(
      tx,
      sql`with counted as (${counted(t)}),
        budget as (select greatest(${limit} - (select count(*) from counted), 0) as left_),
        cand as (
          select ${r.id} as id, (${p.waId} in (select k from counted) or ${windowOpen(p.waId, t)}) as free
          from ${R} ${r} join ${participants} ${p} on ${p.id} = ${r.participantId}
          where ${r.campaignId} = ${campaignId} and ${r.status} = 'pending'
            and (${r.notBefore} is null or ${r.notBefore} <= ${t}::timestamptz)
          order by ${r.id}
          limit ${room + LOOKAHEAD}),
        ranked as (select id, free, row_number() over (partition by free order by id) as n from cand),
        pick as (
          select id from ranked where free or n <= (select left_ from budget)
          order by id limit ${room}),
        claimed as (
          update ${R} set ${col(R.status)} = 'queued', ${col(R.queuedAt)} = now()
          where ${R.id} in (select id from pick) and ${R.status} = 'pending'
          returning ${R.id} as "id", ${R.participantId} as "participantId", ${R.billId} as "billId",
            ${R.attempts} as "attempts")
        select (select json_agg(claimed order by id) from claimed) as claimed,
          exists (select 1 from ranked where not free and n > (select left_ from budget)) as held`,
    );
    const claimed = (out?.claimed ?? []).map((x) => ({
      id: num(x.id),
      participantId: num(x.participantId),
      billId: num(x.billId),
      attempts: num(x.attempts),
    }));
    return { claimed, held: out?.held ?? false };
  });
}
