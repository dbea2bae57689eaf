import { and, eq, getTableName, inArray, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import {
  col,
  cols,
  contacts,
  type Db,
  jsonParam,
  messageStatuses,
  messages,
  type OriginKind,
  outboundStatusCursor,
  queryRows,
  statement,
  type Tx,
} from '../db/index.js';
import { type Origin, originColumns, originOf } from './origin.js';
import type { Priority } from './queue.js';

// The sender's statements on `messages` (and its cursor over `message_statuses`). The hot ones are raw SQL
// over one jsonb parameter for a whole batch: measured, a page as thousands of bind parameters cost
// PostgreSQL more to parse and bind than the work itself. Names come from the schema; the hot statements'
// text is built once (`statement`).

type Queryable = Db | Tx;
type MessageRow = typeof messages.$inferSelect;

const m = alias(messages, 'm');
const earlier = alias(messages, 'earlier');
const c = alias(contacts, 'c');
const UNSENT = ['queued', 'sending'] as const;

/** A message as the sender reads it just before sending. */
export type SendRow = Pick<
  MessageRow,
  'id' | 'status' | 'participantId' | 'direction' | 'payload' | 'priority' | 'attempts' | 'contactKey'
> & {
  origin: Origin | null;
  lastInboundMs: number | null;
  /** an earlier reply to the same contact is not sent yet (replies go in order) */
  earlierReplyUnsent: boolean;
};

type RawSendRow = Omit<SendRow, 'origin'> &
  Pick<MessageRow, 'originKind' | 'campaignRecipientId' | 'campaignAttempt'>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const loadStatement = statement(
  (
    ids,
    horizon,
  ) => sql`select ${m.id} as "id", ${m.status} as "status", ${m.participantId} as "participantId",
      ${m.direction} as "direction", ${m.payload} as "payload", ${m.priority} as "priority",
      ${m.attempts} as "attempts", ${m.contactKey} as "contactKey", ${m.originKind} as "originKind",
      ${m.campaignRecipientId} as "campaignRecipientId", ${m.campaignAttempt} as "campaignAttempt",
      (extract(epoch from ${c.lastInboundAt}) * 1000)::float8 as "lastInboundMs",
      ${m.priority} = 'reply' and exists (
        select 1 from ${messages} ${earlier}
        where ${earlier.contactKey} = ${m.contactKey} and ${earlier.direction} = 'out'
          and ${earlier.priority} = 'reply' and ${earlier.id} < ${m.id}
          and ${earlier.status} in ('queued', 'sending')
          and ${earlier.createdAt} > now() - ${horizon}::interval)
        as "earlierReplyUnsent"
    from ${messages} ${m}
    left join ${contacts} ${c} on ${c.contactKey} = ${m.contactKey}
    where ${m.id} in (select value::bigint from jsonb_array_elements_text(${ids}::jsonb))`,
);

/** The rows of these messages, with the contact's window and the order of replies, in the order of `ids`. */
export async function loadForSend(
  db: Queryable,
  ids: readonly number[],
  replyOrderMinutes: number,
): Promise<(SendRow | undefined)[]> {
  const found = await queryRows<RawSendRow>(
    db,
    loadStatement(jsonParam(ids), `${replyOrderMinutes} minutes`),
  );
  const byId = new Map(found.map((r) => [Number(r.id), toSendRow(r)]));
  return ids.map((id) => byId.get(id));
}

const toSendRow = (r: RawSendRow): SendRow => ({
  id: Number(r.id),
  status: r.status,
  participantId: num(r.participantId),
  direction: r.direction,
  // PGlite and postgres-js both parse jsonb; a driver that did not would hand us the text
  payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
  priority: r.priority,
  attempts: Number(r.attempts),
  contactKey: r.contactKey,
  origin: originOf({
    originKind: r.originKind,
    campaignRecipientId: num(r.campaignRecipientId),
    campaignAttempt: num(r.campaignAttempt),
  }),
  lastInboundMs: num(r.lastInboundMs),
  earlierReplyUnsent: r.earlierReplyUnsent === true,
});

/** Ids for new rows, drawn before the insert so that each body can carry its row's callback data. */
const reserveStatement = statement(
  (count) => sql`select nextval(pg_get_serial_sequence(${sql.raw(`'${getTableName(messages)}'`)},
      ${sql.raw(`'${messages.id.name}'`)})) as id
    from generate_series(1, ${count})`,
);

export async function reserveIds(db: Queryable, count: number): Promise<number[]> {
  const reserved = await queryRows<{ id: string | number }>(db, reserveStatement(count));
  return reserved.map((r) => Number(r.id));
}

export interface NewMessage {
  id: number;
  contactKey: string;
  participantId: number | null;
  type: string;
  text: string | null;
  templateName: string | null;
  payload: unknown;
  priority: Priority;
  dedupeKey: string | null;
  origin: Origin;
}

const insertColumns = [
  messages.id,
  messages.direction,
  messages.contactKey,
  messages.participantId,
  messages.type,
  messages.text,
  messages.templateName,
  messages.payload,
  messages.status,
  messages.priority,
  messages.dedupeKey,
  messages.occurredAt,
  messages.originKind,
  messages.campaignRecipientId,
  messages.campaignAttempt,
];
const insertStatement = statement(
  (page, at) => sql`insert into ${messages} (${cols(...insertColumns)})
    select x.id, 'out', x.contact_key, x.participant_id, x.type, x.text, x.template_name, x.payload,
      'queued', x.priority, x.dedupe_key, ${at}::timestamptz, x.origin_kind,
      x.campaign_recipient_id, x.campaign_attempt
    from jsonb_to_recordset(${page}::jsonb) as x(id bigint, contact_key text,
      participant_id integer, type text, text text, template_name text, payload jsonb, priority text,
      dedupe_key text, origin_kind text, campaign_recipient_id bigint, campaign_attempt integer)
    on conflict (${col(messages.dedupeKey)}) do nothing
    returning ${messages.id}`,
);

/** Inserts queued messages (a row whose dedupe key exists is left alone); answers the ids inserted. */
export async function insertQueued(db: Queryable, page: NewMessage[], at: Date): Promise<Set<number>> {
  const input = page.map((p) => {
    const o = originColumns(p.origin);
    return {
      id: p.id,
      contact_key: p.contactKey,
      participant_id: p.participantId,
      type: p.type,
      text: p.text,
      template_name: p.templateName,
      payload: p.payload,
      priority: p.priority,
      dedupe_key: p.dedupeKey,
      origin_kind: o.originKind,
      campaign_recipient_id: o.campaignRecipientId,
      campaign_attempt: o.campaignAttempt,
    };
  });
  const inserted = await queryRows<{ id: string | number }>(
    db,
    insertStatement(JSON.stringify(input), at.toISOString()),
  );
  return new Set(inserted.map((r) => Number(r.id)));
}

/** One message, inserted unless its dedupe key exists; answers whether it was. */
export async function insertOne(db: Queryable, msg: NewMessage, at: Date): Promise<boolean> {
  const inserted = await db
    .insert(messages)
    .values({
      id: msg.id,
      direction: 'out',
      contactKey: msg.contactKey,
      participantId: msg.participantId,
      type: msg.type,
      text: msg.text,
      templateName: msg.templateName,
      payload: msg.payload,
      status: 'queued',
      priority: msg.priority,
      dedupeKey: msg.dedupeKey,
      occurredAt: at,
      ...originColumns(msg.origin),
    })
    .onConflictDoNothing({ target: messages.dedupeKey })
    .returning({ id: messages.id });
  return inserted.length > 0;
}

export async function findByDedupeKey(db: Queryable, dedupeKey: string) {
  const [row] = await db
    .select({ id: messages.id, status: messages.status, priority: messages.priority })
    .from(messages)
    .where(eq(messages.dedupeKey, dedupeKey))
    .limit(1);
  return row;
}

const claimStatement = statement(
  (items) => sql`update ${messages} ${m} set ${col(messages.status)} = 'sending',
      ${col(messages.attempts)} = ${m.attempts} + 1
    from jsonb_to_recordset(${items}::jsonb) as x(id bigint, attempts integer)
    where ${m.id} = x.id and ${m.status} in ('queued', 'sending') and ${m.attempts} = x.attempts
    returning ${m.id} as id, ${m.attempts} as attempts`,
);

/** Claimed on the attempts seen: should two runs of one message ever overlap, only one sends. */
export async function claimForSend(
  db: Queryable,
  items: readonly { id: number; attempts: number }[],
): Promise<(number | null)[]> {
  const claimed = await queryRows<{ id: string | number; attempts: number }>(
    db,
    claimStatement(JSON.stringify(items)),
  );
  const byId = new Map(claimed.map((r) => [Number(r.id), Number(r.attempts)]));
  return items.map((i) => byId.get(i.id) ?? null);
}

const unsent = sql`${m.status} in ('queued', 'sending')`;
const storeStatement = statement(
  (items) => sql`with stored as (
      update ${messages} ${m} set ${col(messages.wamid)} = x.wamid,
        ${col(messages.status)} = case when ${unsent} then 'accepted' else ${m.status} end,
        ${col(messages.errorCode)} = case when ${unsent} then null else ${m.errorCode} end,
        ${col(messages.errorTitle)} = case when ${unsent} then null else ${m.errorTitle} end
      from jsonb_to_recordset(${items}::jsonb) as x(id bigint, wamid text)
      where ${m.id} = x.id
      returning ${m.id} as id, ${m.wamid} as wamid)
    select distinct stored.id, stored.wamid
    from stored join ${messageStatuses} on ${messageStatuses.wamid} = stored.wamid`,
);

/**
 * The wamid stored and the row accepted; answers the messages whose statuses reached us before it (the
 * webhook can beat the Cloud API's answer), to apply now. A status webhook may have moved the row on
 * already (found by its callback data): only an unsent row becomes 'accepted', and only its leftover
 * error from a retried attempt is cleared.
 */
export async function storeAccepted(
  db: Queryable,
  items: readonly { id: number; wamid: string }[],
): Promise<{ id: number; wamid: string }[]> {
  const early = await queryRows<{ id: string | number; wamid: string }>(
    db,
    storeStatement(JSON.stringify(items.map(({ id, wamid }) => ({ id, wamid })))),
  );
  return early.map((e) => ({ id: Number(e.id), wamid: e.wamid }));
}

/** An unsent message failed for good; answers whether it was unsent (and so moved). */
export async function markFailed(
  db: Queryable,
  id: number,
  failure: { code: number | null; title: string },
  at: Date,
): Promise<boolean> {
  const moved = await db
    .update(messages)
    .set({ status: 'failed', errorCode: failure.code, errorTitle: failure.title, failedAt: at })
    .where(and(eq(messages.id, id), inArray(messages.status, UNSENT)))
    .returning({ id: messages.id });
  return moved.length > 0;
}

/** An unsent message its guard refused; answers whether it was unsent (and so moved). */
export async function markSkipped(db: Queryable, id: number, reason: string): Promise<boolean> {
  const moved = await db
    .update(messages)
    .set({ status: 'skipped', errorTitle: reason })
    .where(and(eq(messages.id, id), inArray(messages.status, UNSENT)))
    .returning({ id: messages.id });
  return moved.length > 0;
}

/** A transient failure: back to 'queued', or left 'sending' when the outcome is unknown (a timeout). */
export async function markRetrying(
  db: Queryable,
  id: number,
  failure: { code: number | null; title: string; timedOut: boolean },
): Promise<void> {
  await db
    .update(messages)
    .set({
      status: failure.timedOut ? 'sending' : 'queued',
      errorCode: failure.code,
      errorTitle: failure.title,
    })
    .where(and(eq(messages.id, id), inArray(messages.status, UNSENT)));
}

/** Undoes this run's claim (the sender is closing): the row is as it was, so its next run is no duplicate. */
export async function releaseClaim(
  db: Queryable,
  id: number,
  before: { status: 'queued' | 'sending'; attempts: number },
): Promise<void> {
  await db
    .update(messages)
    .set({ status: before.status, attempts: before.attempts })
    .where(
      and(eq(messages.id, id), eq(messages.status, 'sending'), eq(messages.attempts, before.attempts + 1)),
    );
}

/** The status cursor's row, made once. */
export async function ensureStatusCursor(db: Queryable): Promise<void> {
  await db.insert(outboundStatusCursor).values({ id: 1 }).onConflictDoNothing();
}

/** How far statuses were told, locked for this transaction; null while another process holds it. */
export async function lockStatusCursor(tx: Tx): Promise<number | null> {
  const [row] = await tx
    .select({ last: outboundStatusCursor.lastStatusId })
    .from(outboundStatusCursor)
    .where(eq(outboundStatusCursor.id, 1))
    .for('update', { skipLocked: true });
  return row ? Number(row.last) : null;
}

export async function moveStatusCursor(tx: Tx, upto: number): Promise<void> {
  await tx
    .update(outboundStatusCursor)
    .set({ lastStatusId: upto, updatedAt: new Date() })
    .where(eq(outboundStatusCursor.id, 1));
}

/**
 * The last status of the next page after `last`, among those recorded at least `lagMs` ago (so that none
 * committed late behind a higher id is passed over); null when there is none.
 */
export async function nextStatusPage(tx: Tx, last: number, lagMs: number, size: number) {
  const [bound] = await queryRows<{ upto: string | number | null }>(
    tx,
    sql`select max(s.id) as upto from (
      select ${messageStatuses.id} as id from ${messageStatuses}
      where ${messageStatuses.id} > ${last}
        and ${messageStatuses.createdAt} < now() - ${`${lagMs} milliseconds`}::interval
      order by ${messageStatuses.id} limit ${size}) s`,
  );
  return bound?.upto == null ? null : Number(bound.upto);
}

/**
 * The statuses of these wamids that the follower has already read past: they arrived before their wamid
 * was stored, so the follower's join could not see them. The cursor row is read under a share lock, so a
 * follower that holds it is waited for, and one that comes after skips its turn until this transaction
 * has stored the wamids: between the two, each status is told once.
 */
export async function statusesPassedBy(
  tx: Tx,
  wamids: readonly string[],
): Promise<
  {
    wamid: string;
    status: string;
    errorCode: number | null;
    errorTitle: string | null;
    pricingCategory: string | null;
  }[]
> {
  if (wamids.length === 0) return [];
  const [cursor] = await tx
    .select({ last: outboundStatusCursor.lastStatusId })
    .from(outboundStatusCursor)
    .where(eq(outboundStatusCursor.id, 1))
    .for('share');
  if (!cursor) return [];
  const s = messageStatuses;
  return tx
    .select({
      wamid: s.wamid,
      status: s.status,
      errorCode: s.errorCode,
      errorTitle: s.errorTitle,
      pricingCategory: s.pricingCategory,
    })
    .from(s)
    .where(and(inArray(s.wamid, [...wamids]), sql`${s.id} <= ${cursor.last}`))
    .orderBy(s.id);
}

export interface StatusAfterSend {
  messageId: number;
  origin: Origin | null;
  status: string;
  errorCode: number | null;
  errorTitle: string | null;
  pricingCategory: string | null;
}

/** Failures and billed categories in statuses (last, upto], of messages whose origin is one of `kinds`. */
export async function statusesAfterSend(
  tx: Tx,
  range: { last: number; upto: number },
  kinds: readonly OriginKind[],
): Promise<StatusAfterSend[]> {
  if (kinds.length === 0) return [];
  const s = messageStatuses;
  const seen = await queryRows<{
    message_id: string | number;
    origin_kind: OriginKind | null;
    campaign_recipient_id: string | number | null;
    campaign_attempt: number | null;
    status: string;
    error_code: number | null;
    error_title: string | null;
    pricing_category: string | null;
  }>(
    tx,
    sql`select ${m.id} as message_id, ${m.originKind} as origin_kind,
        ${m.campaignRecipientId} as campaign_recipient_id, ${m.campaignAttempt} as campaign_attempt,
        ${s.status} as status, ${s.errorCode} as error_code, ${s.errorTitle} as error_title,
        ${s.pricingCategory} as pricing_category
      from ${s} join ${messages} ${m} on ${m.wamid} = ${s.wamid}
      where ${s.id} > ${range.last} and ${s.id} <= ${range.upto}
        and (${s.status} = 'failed' or ${s.pricingCategory} is not null)
        and ${m.originKind} in (select jsonb_array_elements_text(${jsonParam(kinds)}::jsonb))
      order by ${s.id}`,
  );
  return seen.map((r) => ({
    messageId: Number(r.message_id),
    origin: originOf({
      originKind: r.origin_kind,
      campaignRecipientId: num(r.campaign_recipient_id),
      campaignAttempt: num(r.campaign_attempt),
    }),
    status: r.status,
    errorCode: num(r.error_code),
    errorTitle: r.error_title,
    pricingCategory: r.pricing_category,
  }));
}
