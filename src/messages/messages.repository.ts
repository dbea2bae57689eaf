import { and, asc, desc, eq, getTableName, isNull, sql } from 'drizzle-orm';
import {
  col,
  cols,
  contacts,
  type Db,
  messageStatuses,
  messages,
  participants,
  queryRows,
  type Tx,
} from '../db/index.js';
import { rank, rankText, type StatusFact } from './status.js';

// Every statement on `messages`, `message_statuses` and `contacts` that recording and reading the history
// needs: the messages room owns their writes (the sender's queue rows excepted, see outbound/). Statements
// that run on every webhook stay one raw statement each, measured; their names come from the schema.

export type Message = typeof messages.$inferSelect;
type Queryable = Db | Tx;

/** One inbound message, as the recording statement takes it (names as the input record's fields). */
export interface InboundRecord {
  ord: number;
  contact_key: string;
  wa_id: string | null;
  user_id: string | null;
  profile_name: string | null;
  wamid: string;
  type: string;
  text: string | null;
  reply_id: string | null;
  payload: unknown;
  context_wamid: string | null;
  error_code: number | null;
  error_title: string | null;
  occurred_at: string;
}

/**
 * Inserts each inbound message once per wamid, and its sender's contact row (the newest value of each field,
 * the latest inbound time: the 24-hour window), in one statement: one round trip while Meta waits for the
 * 200, atomic as a transaction. Answers the messages inserted now, with the participant registered on the
 * sender's number (the earliest registered where several share it).
 */
export async function insertInbound(
  db: Queryable,
  input: InboundRecord[],
): Promise<(Pick<Message, 'id' | 'participantId'> & { wamid: string })[]> {
  const c = contacts;
  const m = messages;
  const p = participants;
  // Several messages of one sender make one contact row (the newest value of each field, as recording
  // them one by one would leave it); each wamid is inserted once, in arrival order.
  const newest = (field: string) =>
    sql.raw(
      `(array_agg(i.${field} order by i.occurred_at desc, i.ord desc) filter (where i.${field} is not null))[1]`,
    );
  const rows = await queryRows<{ id: number | string; wamid: string; participantId: number | null }>(
    db,
    sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as x(ord int, contact_key text,
        wa_id text, user_id text, profile_name text, wamid text, type text, text text, reply_id text,
        payload jsonb, context_wamid text, error_code int, error_title text, occurred_at timestamptz)
    ), registered as (
      select distinct on (${p.waId}) ${p.waId} as wa_id, ${p.id} as id
      from ${p}
      where ${p.waId} in (select wa_id from input where wa_id is not null)
      order by ${p.waId}, ${p.id}
    ), contact as (
      insert into ${c} (${cols(c.contactKey, c.waId, c.userId, c.profileName, c.lastInboundAt)})
      select i.contact_key, ${newest('wa_id')}, ${newest('user_id')}, ${newest('profile_name')},
        max(i.occurred_at)
      from input i
      group by i.contact_key
      -- rows locked in one order, so two statements at once cannot deadlock
      order by i.contact_key
      on conflict (${col(c.contactKey)}) do update set
        ${col(c.waId)} = coalesce(excluded.${col(c.waId)}, ${c.waId}),
        ${col(c.userId)} = coalesce(excluded.${col(c.userId)}, ${c.userId}),
        ${col(c.profileName)} = coalesce(excluded.${col(c.profileName)}, ${c.profileName}),
        ${col(c.lastInboundAt)} = greatest(${c.lastInboundAt}, excluded.${col(c.lastInboundAt)})
    )
    insert into ${m} (${cols(m.direction, m.contactKey, m.participantId, m.wamid, m.type, m.text, m.replyId, m.payload, m.status, m.contextWamid, m.errorCode, m.errorTitle, m.occurredAt)})
    select 'in', i.contact_key, r.id, i.wamid, i.type, i.text, i.reply_id, i.payload, 'received',
      i.context_wamid, i.error_code, i.error_title, i.occurred_at
    from input i left join registered r on r.wa_id = i.wa_id
    order by i.ord
    on conflict (${col(m.wamid)}) do nothing
    returning ${col(m.id)} as id, ${col(m.wamid)} as wamid, ${col(m.participantId)} as "participantId"`,
  );
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/** One status, as the status statement takes it (names as the input record's fields). */
export interface StatusRecord {
  ord: number;
  wamid: string;
  status: string;
  at: string;
  recipient: string;
  error_code: number | null;
  error_title: string | null;
  pricing_category: string | null;
  pricing_type: string | null;
  callback_data: string | null;
}

/**
 * Keeps each status once per (wamid, status) and moves its message forward (applyStatus's rules, for the
 * whole list in one statement); answers the (wamid, status) pairs stored now.
 */
export async function insertStatuses(
  db: Queryable,
  input: StatusRecord[],
): Promise<{ wamid: string; status: string }[]> {
  return queryRows(db, sql`${RECORD_STATUSES_HEAD}${JSON.stringify(input)}${RECORD_STATUSES_TAIL}`);
}

/** The newest `limit` messages of a sender, either way, oldest first, in the order we recorded them. */
export async function conversationHistory(
  db: Queryable,
  contactKey: string,
  limit: number,
): Promise<Message[]> {
  // by id: inbound times are whole seconds, so by time an answer written in the same second as an agent's
  // reply would show before it
  const newest = await db
    .select()
    .from(messages)
    .where(eq(messages.contactKey, contactKey))
    .orderBy(desc(messages.id))
    .limit(limit);
  return newest.reverse();
}

/** Whether a message with this dedupe key was queued (sent or not). */
export async function hasMessageWithDedupeKey(db: Queryable, dedupeKey: string): Promise<boolean> {
  const [found] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.dedupeKey, dedupeKey));
  return found !== undefined;
}

/** A sender's inbound messages not yet handled by the conversation engine, in the order they were sent. */
export async function waitingInbound(db: Queryable, contactKey: string, limit: number): Promise<Message[]> {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.contactKey, contactKey), eq(messages.direction, 'in'), isNull(messages.handledAt)))
    .orderBy(asc(messages.occurredAt), asc(messages.id))
    .limit(limit);
}

/** The conversation engine is done with this inbound message. */
export async function markHandled(db: Queryable, id: number): Promise<void> {
  await db.update(messages).set({ handledAt: sql`now()` }).where(eq(messages.id, id));
}

/** Senders with inbound messages the conversation engine has not handled (left by a crash or restart). */
export async function sendersWaiting(db: Queryable): Promise<string[]> {
  const waiting = await db
    .selectDistinct({ contactKey: messages.contactKey })
    .from(messages)
    .where(and(eq(messages.direction, 'in'), isNull(messages.handledAt)));
  return waiting.map((w) => w.contactKey);
}

/**
 * Applies one status to one message row, monotonically and idempotently: the status history gains the
 * status once, the current status only moves forward, and each first time (sent_at, read_at, …) is kept.
 */
export async function applyStatus(db: Db | Tx, messageId: number, fact: StatusFact): Promise<boolean> {
  const status = fact.status === 'played' ? 'read' : fact.status;
  const at = fact.occurredAt;
  const firstAt = (name: string, column: unknown) =>
    sql`case when ${status} = ${name} then coalesce(${column}, ${at.toISOString()}::timestamptz) else ${column} end`;
  const updated = await db
    .update(messages)
    .set({
      status: sql`case when ${rank(status)} > ${rank(messages.status)} then ${status} else ${messages.status} end`,
      statusHistory: sql`${messages.statusHistory} || jsonb_build_array(jsonb_build_object('status', ${status}::text, 'at', ${at.toISOString()}::text))`,
      sentAt: firstAt('sent', messages.sentAt),
      deliveredAt: firstAt('delivered', messages.deliveredAt),
      readAt: firstAt('read', messages.readAt),
      failedAt: firstAt('failed', messages.failedAt),
      errorCode: fact.errorCode != null ? fact.errorCode : sql`${messages.errorCode}`,
      errorTitle: fact.errorTitle != null ? fact.errorTitle : sql`${messages.errorTitle}`,
      pricingCategory: fact.pricingCategory ?? sql`${messages.pricingCategory}`,
      pricingType: fact.pricingType ?? sql`${messages.pricingType}`,
    })
    .where(
      and(
        eq(messages.id, messageId),
        sql`not (${messages.statusHistory} @> jsonb_build_array(jsonb_build_object('status', ${status}::text)))`,
      ),
    )
    .returning({ id: messages.id });
  return updated.length > 0;
}

/**
 * Applies the statuses that arrived before the sender stored this message's wamid (the webhook can beat
 * the Cloud API's answer to us).
 */
export async function reconcileStatuses(db: Db | Tx, messageId: number, wamid: string): Promise<void> {
  const early = await db
    .select()
    .from(messageStatuses)
    .where(eq(messageStatuses.wamid, wamid))
    .orderBy(messageStatuses.id);
  for (const s of early) {
    await applyStatus(db, messageId, {
      wamid,
      status: s.status,
      occurredAt: s.occurredAt,
      errorCode: s.errorCode,
      errorTitle: s.errorTitle,
      pricingCategory: s.pricingCategory,
      pricingType: s.pricingType,
    });
  }
}

// The status statement is written once, as text with no parameters but the list: table and column names
// from the schema.
const M = getTableName(messages);
const S = getTableName(messageStatuses);
const n = (column: { name: string }) => column.name;
const names = (...columns: { name: string }[]) => columns.map(n).join(', ');

// input: the statuses in arrival order; fresh: those stored now (a retry's are not); firsts: the first
// input row of each fresh (wamid, status); targets, ids: each wamid's message, by wamid or else by the
// callback data of one of its statuses; facts: one row per message and status (played counts as read, so
// the later of the two is dropped); agg: one row per message; locked: the same, its message rows locked in
// id order so that two statements never deadlock; moved: the update. Every step is one pass (joins by
// index or hash, no row-by-row rescans), so a statement of hundreds of statuses stays linear.
const RECORD_STATUSES_HEAD = sql.raw(`with input as (
  select * from jsonb_to_recordset(`);
const RECORD_STATUSES_TAIL = sql.raw(`::jsonb) as x(ord int, wamid text, status text, at text,
    recipient text, error_code int, error_title text, pricing_category text, pricing_type text,
    callback_data text)
), fresh as (
  insert into ${S} (${names(
    messageStatuses.wamid,
    messageStatuses.status,
    messageStatuses.occurredAt,
    messageStatuses.recipient,
    messageStatuses.errorCode,
    messageStatuses.errorTitle,
    messageStatuses.pricingCategory,
    messageStatuses.pricingType,
    messageStatuses.callbackData,
  )})
  select wamid, status, at::timestamptz, recipient, error_code, error_title, pricing_category,
    pricing_type, callback_data
  from input order by wamid, ord
  on conflict do nothing
  returning ${n(messageStatuses.wamid)} as wamid, ${n(messageStatuses.status)} as status
), firsts as (
  select distinct on (i.wamid, i.status) i.*
  from input i join fresh f on f.wamid = i.wamid and f.status = i.status
  order by i.wamid, i.status, i.ord
), targets as (
  select f.*, known.${n(messages.id)} as known_id, cb.${n(messages.id)} as callback_id,
    case when f.status = 'played' then 'read' else f.status end as st
  from firsts f
  left join ${M} known on known.${n(messages.wamid)} = f.wamid
  left join ${M} cb on known.${n(messages.id)} is null and cb.${n(messages.direction)} = 'out'
    and cb.${n(messages.id)} = substring(f.callback_data from '^msg:([0-9]{1,18})$')::bigint
), ids as (
  select t.*, t.known_id is null as by_callback, coalesce(t.known_id, first_value(t.callback_id)
      over (partition by t.wamid order by t.callback_id is null, t.ord)) as message_id
  from targets t
), facts as (
  select distinct on (message_id, st) * from ids where message_id is not null
  order by message_id, st, ord
), agg as (
  select message_id, bool_or(by_callback) as by_callback, min(wamid) as wamid,
    jsonb_agg(jsonb_build_object('status', st, 'at', at) order by ord) as entries,
    max(${rankText('st')}) as top_rank,
    (array_agg(st order by ${rankText('st')} desc))[1] as top_status,
    min(at::timestamptz) filter (where st = 'sent') as sent_at,
    min(at::timestamptz) filter (where st = 'delivered') as delivered_at,
    min(at::timestamptz) filter (where st = 'read') as read_at,
    min(at::timestamptz) filter (where st = 'failed') as failed_at,
    (array_agg(error_code order by ord desc) filter (where error_code is not null))[1] as error_code,
    (array_agg(error_title order by ord desc) filter (where error_title is not null))[1] as error_title,
    (array_agg(pricing_category order by ord desc) filter (where pricing_category is not null))[1]
      as pricing_category,
    (array_agg(pricing_type order by ord desc) filter (where pricing_type is not null))[1] as pricing_type
  from facts group by message_id
), locked as materialized (
  select a.* from agg a join ${M} m on m.${n(messages.id)} = a.message_id order by m.${n(messages.id)} for update of m
), moved as (
  update ${M} m set
    ${n(messages.status)} = case when a.top_rank > ${rankText(`m.${n(messages.status)}`)} then a.top_status else m.${n(messages.status)} end,
    ${n(messages.statusHistory)} = m.${n(messages.statusHistory)} || coalesce((
      select jsonb_agg(e.v order by e.n) from jsonb_array_elements(a.entries) with ordinality as e(v, n)
      where not m.${n(messages.statusHistory)} @> jsonb_build_array(jsonb_build_object('status', e.v->'status'))),
      '[]'::jsonb),
    ${n(messages.sentAt)} = coalesce(m.${n(messages.sentAt)}, a.sent_at),
    ${n(messages.deliveredAt)} = coalesce(m.${n(messages.deliveredAt)}, a.delivered_at),
    ${n(messages.readAt)} = coalesce(m.${n(messages.readAt)}, a.read_at),
    ${n(messages.failedAt)} = coalesce(m.${n(messages.failedAt)}, a.failed_at),
    ${n(messages.errorCode)} = coalesce(a.error_code, m.${n(messages.errorCode)}),
    ${n(messages.errorTitle)} = coalesce(a.error_title, m.${n(messages.errorTitle)}),
    ${n(messages.pricingCategory)} = coalesce(a.pricing_category, m.${n(messages.pricingCategory)}),
    ${n(messages.pricingType)} = coalesce(a.pricing_type, m.${n(messages.pricingType)}),
    ${n(messages.wamid)} = case when a.by_callback and m.${n(messages.wamid)} is null and m.${n(messages.direction)} = 'out'
      then a.wamid else m.${n(messages.wamid)} end
  from locked a
  where m.${n(messages.id)} = a.message_id
  returning m.${n(messages.id)}
)
select wamid, status from fresh`);
