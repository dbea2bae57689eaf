import { sql } from 'drizzle-orm';
import { contacts, type Db, messages, participants, queryRows } from '../db/index.js';
import { isBadData } from '../faults.js';
import type { InboundMessage, StatusUpdate } from '../whatsapp/index.js';
import { rankText } from './status.js';

/** Every outbound message carries its row id back to us in status webhooks, even before its wamid is known. */
export const callbackDataFor = (messageId: number): string => `msg:${messageId}`;

export function messageIdFromCallbackData(data: string | undefined): number | null {
  const m = data ? /^msg:(\d+)$/.exec(data) : null;
  return m ? Number(m[1]) : null;
}

export interface RecordedInbound {
  message: InboundMessage;
  messageId: number;
  participantId: number | null;
}

/**
 * Records inbound messages durably, once per wamid, and keeps each sender's contact row (with the
 * 24-hour window) current. Returns only the messages seen for the first time: a Cloud API retry of the
 * same delivery returns nothing, so nothing downstream runs twice. One statement for the whole list, so
 * one round trip while Meta waits for the 200, atomic as a transaction.
 */
export async function recordInbound(db: Db, inbound: InboundMessage[]): Promise<RecordedInbound[]> {
  if (inbound.length === 0) return [];
  const input = inbound.map((m, ord) => ({
    ord,
    contact_key: m.contact,
    wa_id: m.waId ?? null,
    user_id: m.userId ?? null,
    profile_name: m.profileName ?? null,
    wamid: m.wamid,
    type: m.type,
    text: m.text ?? null,
    reply_id: m.reply?.id ?? null,
    payload: m.raw,
    context_wamid: m.contextWamid ?? null,
    error_code: m.errors[0]?.code ?? null,
    error_title: m.errors[0]?.title ?? null,
    occurred_at: m.timestamp.toISOString(),
  }));
  // Several messages of one sender make one contact row (the newest value of each field, as recording
  // them one by one would leave it); each wamid is inserted once, in arrival order.
  const rows = await queryRows<{ id: number | string; wamid: string; participant_id: number | null }>(
    db,
    sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as x(ord int, contact_key text,
        wa_id text, user_id text, profile_name text, wamid text, type text, text text, reply_id text,
        payload jsonb, context_wamid text, error_code int, error_title text, occurred_at timestamptz)
    ), registered as (
      select distinct on (${participants.waId}) ${participants.waId} as wa_id, ${participants.id} as id
      from ${participants}
      where ${participants.waId} in (select wa_id from input where wa_id is not null)
      order by ${participants.waId}, ${participants.id}
    ), contact as (
      insert into ${contacts} (contact_key, wa_id, user_id, profile_name, last_inbound_at)
      select i.contact_key,
        (array_agg(i.wa_id order by i.occurred_at desc, i.ord desc) filter (where i.wa_id is not null))[1],
        (array_agg(i.user_id order by i.occurred_at desc, i.ord desc) filter (where i.user_id is not null))[1],
        (array_agg(i.profile_name order by i.occurred_at desc, i.ord desc)
          filter (where i.profile_name is not null))[1],
        max(i.occurred_at)
      from input i
      group by i.contact_key
      -- rows locked in one order, so two statements at once cannot deadlock
      order by i.contact_key
      on conflict (contact_key) do update set
        wa_id = coalesce(excluded.wa_id, ${contacts.waId}),
        user_id = coalesce(excluded.user_id, ${contacts.userId}),
        profile_name = coalesce(excluded.profile_name, ${contacts.profileName}),
        last_inbound_at = greatest(${contacts.lastInboundAt}, excluded.last_inbound_at)
    )
    insert into ${messages} (direction, contact_key, participant_id, wamid, type, text, reply_id, payload,
      status, context_wamid, error_code, error_title, occurred_at)
    select 'in', i.contact_key, r.id, i.wamid, i.type, i.text, i.reply_id, i.payload, 'received',
      i.context_wamid, i.error_code, i.error_title, i.occurred_at
    from input i left join registered r on r.wa_id = i.wa_id
    order by i.ord
    on conflict (wamid) do nothing
    returning id, wamid, participant_id`,
  );
  const inserted = new Map(rows.map((r) => [r.wamid, r]));
  const fresh: RecordedInbound[] = [];
  for (const m of inbound) {
    const row = inserted.get(m.wamid);
    // the same wamid twice in one list is fresh once
    if (!row) continue;
    inserted.delete(m.wamid);
    fresh.push({ message: m, messageId: Number(row.id), participantId: row.participant_id });
  }
  return fresh;
}

/**
 * Told of each item no server will store (its time or its nesting out of range): a status is left out, a
 * message is kept stripped of its content (strippedMessage).
 */
export type OnMalformed = (
  item: { kind: 'message' | 'status'; type: string },
  err: unknown,
  /** recorded stripped of its content (strippedMessage), rather than left out */
  kept: boolean,
) => void;

const nobody: OnMalformed = () => {};

/**
 * Records the list whole; if one item's data cannot be stored, item by item, leaving out (and telling
 * `onMalformed` of) each one that cannot: one bad item must not hold back the others of its delivery, which
 * the Cloud API would otherwise deliver again and again. Any other failure fails the whole list.
 */
async function isolating<T, R>(
  items: T[],
  record: (items: T[]) => Promise<R[]>,
  malformed: (item: T, err: unknown, kept: boolean) => void,
  /** what of a bad item can still be kept, recorded in its place (a message's sender and wamid) */
  stripped?: (item: T) => T,
): Promise<R[]> {
  try {
    return await record(items);
  } catch (err) {
    if (!isBadData(err) || items.length === 0) throw err;
  }
  const out: R[] = [];
  for (const item of items) {
    try {
      out.push(...(await record([item])));
    } catch (err) {
      if (!isBadData(err)) throw err;
      const kept = stripped ? await keepStripped(record, stripped(item), out) : false;
      malformed(item, err, kept);
    }
  }
  return out;
}

async function keepStripped<T, R>(record: (items: T[]) => Promise<R[]>, item: T, out: R[]): Promise<boolean> {
  try {
    out.push(...(await record([item])));
    return true;
  } catch (err) {
    if (isBadData(err)) return false;
    throw err;
  }
}

const noNul = (s: string | undefined) => s?.replaceAll('\u0000', '');

/**
 * A message whose content cannot be stored, as a `malformed` message of its sender at the time it arrived:
 * the sender is answered (the bot says it can read only words and buttons) and an officer sees that they
 * wrote, though what they wrote is lost.
 */
export function strippedMessage(m: InboundMessage, receivedAt: Date = new Date()): InboundMessage {
  const type = noNul(m.type)?.slice(0, 40) ?? 'unknown';
  return {
    wamid: m.wamid,
    phoneNumberId: m.phoneNumberId,
    contact: m.contact,
    ...(m.waId ? { waId: m.waId } : {}),
    ...(m.userId ? { userId: m.userId } : {}),
    ...(m.profileName ? { profileName: noNul(m.profileName)! } : {}),
    timestamp: receivedAt,
    type: MALFORMED_TYPE,
    errors: [],
    raw: { malformed: true, type },
  };
}

export const MALFORMED_TYPE = 'malformed';

/**
 * recordInbound for many concurrent callers: while `maxInFlight` statements run, the messages of the
 * webhooks that arrive wait and go together in the next one (group commit). Under load this turns a
 * statement per webhook into a statement per few webhooks, so acknowledgements stop queueing for the
 * database pool; alone, a webhook goes at once.
 */
export function createInboundRecorder(db: Db, opts: { maxInFlight?: number } = {}) {
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
  let inFlight = 0;
  type Waiting = {
    messages: InboundMessage[];
    onMalformed: OnMalformed;
    resolve(r: RecordedInbound[]): void;
    reject(err: unknown): void;
  };
  let waiting: Waiting[] = [];
  const alone = (w: Waiting) =>
    isolating(
      w.messages,
      (items) => recordInbound(db, items),
      (m, err, kept) => w.onMalformed({ kind: 'message', type: m.type }, err, kept),
      (m) => strippedMessage(m),
    );
  function flush(): void {
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      inFlight++;
      recordInbound(
        db,
        batch.flatMap((w) => w.messages),
      )
        .then(
          (fresh) => {
            // each caller gets its own fresh messages back, in its own order
            const byMessage = new Map(fresh.map((f) => [f.message, f]));
            for (const w of batch) w.resolve(w.messages.flatMap((m) => byMessage.get(m) ?? []));
          },
          (err: unknown) => {
            // one bad webhook must not fail the others it happened to share a statement with, nor one
            // bad item the others of its webhook
            if (batch.length === 1 && !isBadData(err)) batch[0]!.reject(err);
            else for (const w of batch) alone(w).then(w.resolve, w.reject);
          },
        )
        .finally(() => {
          inFlight--;
          flush();
        });
    }
  }
  return {
    /** the fresh messages; each one that cannot be stored is left out and `onMalformed` told */
    record(inbound: InboundMessage[], onMalformed: OnMalformed = nobody): Promise<RecordedInbound[]> {
      if (inbound.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        waiting.push({ messages: inbound, onMalformed, resolve, reject });
        flush();
      });
    },
  };
}

/**
 * Records each status once per (wamid, status) and moves the matching outbound message forward. A status
 * whose message is not known yet (its wamid not stored) stays in message_statuses until the sender
 * reconciles it; one found by its callback data instead (a send whose answer was lost) gets its wamid.
 *
 * One statement for the whole list, so it is atomic (a failure records nothing and the Cloud API's retry
 * finds nothing half done) and costs one round trip however many statuses the list holds. Per message the
 * effect is that of applyStatus once per fresh status, in list order: the current status only moves
 * forward, each first time is kept, the history gains each status once, the latest error and pricing win.
 */
export async function recordStatuses(
  db: Db,
  statuses: StatusUpdate[],
): Promise<{ recorded: number; duplicates: number }> {
  const [counted] = await recordStatusLists(db, [statuses]);
  return counted!;
}

export interface StatusRecorder {
  /**
   * recordStatuses, answered once the statement that carried this list has committed; a status that cannot
   * be stored is left out (neither recorded nor a duplicate) and `onMalformed` told
   */
  record(
    statuses: StatusUpdate[],
    onMalformed?: OnMalformed,
  ): Promise<{ recorded: number; duplicates: number }>;
}

/**
 * recordStatuses for concurrent callers (the webhook's requests): while `statements` statements are in
 * flight, the lists that arrive wait and then go together in the next one (at most `maxStatuses` statuses a
 * statement). A lone webhook goes at once; under a burst, one round trip serves many webhooks. Each caller
 * is answered after the commit that holds its statuses, and a failed statement fails every caller in it
 * (each answers 5xx; the Cloud API delivers again and recording is idempotent).
 */
export function createStatusRecorder(
  db: Db,
  opts: { statements?: number; maxStatuses?: number } = {},
): StatusRecorder {
  const statements = opts.statements ?? 2;
  const maxStatuses = opts.maxStatuses ?? 500;
  type Waiting = {
    list: StatusUpdate[];
    onMalformed: OnMalformed;
    resolve(counts: { recorded: number; duplicates: number }): void;
    reject(err: unknown): void;
  };
  const waiting: Waiting[] = [];
  let running = 0;
  // A list alone, then status by status: a bad status counts as neither recorded nor a duplicate.
  const alone = async (w: Waiting) => {
    const counts = await isolating(
      w.list,
      (items) => recordStatusLists(db, [items]),
      (s, err, kept) => w.onMalformed({ kind: 'status', type: s.status }, err, kept),
    );
    return counts.reduce(
      (sum, c) => ({ recorded: sum.recorded + c.recorded, duplicates: sum.duplicates + c.duplicates }),
      { recorded: 0, duplicates: 0 },
    );
  };
  function pump(): void {
    while (running < statements && waiting.length > 0) {
      const batch: Waiting[] = [waiting.shift()!];
      let n = batch[0]!.list.length;
      while (waiting.length > 0 && n + waiting[0]!.list.length <= maxStatuses) {
        const next = waiting.shift()!;
        n += next.list.length;
        batch.push(next);
      }
      running++;
      recordStatusLists(
        db,
        batch.map((w) => w.list),
      )
        .then(
          (counts) => {
            for (const [i, w] of batch.entries()) w.resolve(counts[i]!);
          },
          (err: unknown) => {
            if (!isBadData(err)) for (const w of batch) w.reject(err);
            else for (const w of batch) alone(w).then(w.resolve, w.reject);
          },
        )
        .finally(() => {
          running--;
          pump();
        });
    }
  }
  return {
    record(list, onMalformed = nobody) {
      if (list.length === 0) return Promise.resolve({ recorded: 0, duplicates: 0 });
      return new Promise((resolve, reject) => {
        waiting.push({ list, onMalformed, resolve, reject });
        pump();
      });
    },
  };
}

/** recordStatuses for several lists in one statement; the counts come back per list. */
async function recordStatusLists(
  db: Db,
  lists: StatusUpdate[][],
): Promise<{ recorded: number; duplicates: number }[]> {
  const input: StatusRow[] = [];
  const owner: number[] = [];
  lists.forEach((list, n) => {
    for (const s of list) {
      const error = s.errors[0];
      input.push({
        ord: input.length,
        wamid: s.wamid,
        status: s.status,
        at: s.timestamp.toISOString(),
        recipient: s.recipient,
        error_code: error?.code ?? null,
        error_title: error?.title ?? null,
        pricing_category: s.pricing?.category ?? null,
        pricing_type: s.pricing?.type ?? null,
        callback_data: s.bizOpaqueCallbackData ?? null,
      });
      owner.push(n);
    }
  });
  const counts = lists.map((list) => ({ recorded: 0, duplicates: list.length }));
  if (input.length === 0) return counts;
  const stored = await queryRows<{ wamid: string; status: string }>(
    db,
    sql`${RECORD_STATUSES_HEAD}${JSON.stringify(input)}${RECORD_STATUSES_TAIL}`,
  );
  const fresh = new Set(stored.map((row) => `${row.status} ${row.wamid}`));
  // a status twice in the lists is stored once: the first occurrence counts as recorded
  for (const row of input) {
    if (fresh.delete(`${row.status} ${row.wamid}`)) {
      counts[owner[row.ord]!]!.recorded++;
      counts[owner[row.ord]!]!.duplicates--;
    }
  }
  return counts;
}

interface StatusRow {
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
  insert into message_statuses (wamid, status, occurred_at, recipient, error_code, error_title,
    pricing_category, pricing_type, callback_data)
  select wamid, status, at::timestamptz, recipient, error_code, error_title, pricing_category,
    pricing_type, callback_data
  from input order by wamid, ord
  on conflict do nothing
  returning wamid, status
), firsts as (
  select distinct on (i.wamid, i.status) i.*
  from input i join fresh f on f.wamid = i.wamid and f.status = i.status
  order by i.wamid, i.status, i.ord
), targets as (
  select f.*, known.id as known_id, cb.id as callback_id,
    case when f.status = 'played' then 'read' else f.status end as st
  from firsts f
  left join messages known on known.wamid = f.wamid
  left join messages cb on known.id is null and cb.direction = 'out'
    and cb.id = substring(f.callback_data from '^msg:([0-9]{1,18})$')::bigint
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
  select a.* from agg a join messages m on m.id = a.message_id order by m.id for update of m
), moved as (
  update messages m set
    status = case when a.top_rank > ${rankText('m.status')} then a.top_status else m.status end,
    status_history = m.status_history || coalesce((
      select jsonb_agg(e.v order by e.n) from jsonb_array_elements(a.entries) with ordinality as e(v, n)
      where not m.status_history @> jsonb_build_array(jsonb_build_object('status', e.v->'status'))),
      '[]'::jsonb),
    sent_at = coalesce(m.sent_at, a.sent_at),
    delivered_at = coalesce(m.delivered_at, a.delivered_at),
    read_at = coalesce(m.read_at, a.read_at),
    failed_at = coalesce(m.failed_at, a.failed_at),
    error_code = coalesce(a.error_code, m.error_code),
    error_title = coalesce(a.error_title, m.error_title),
    pricing_category = coalesce(a.pricing_category, m.pricing_category),
    pricing_type = coalesce(a.pricing_type, m.pricing_type),
    wamid = case when a.by_callback and m.wamid is null and m.direction = 'out' then a.wamid else m.wamid end
  from locked a
  where m.id = a.message_id
  returning m.id
)
select wamid, status from fresh`);
