import type { Db } from '../db/index.js';
import { isBadData } from '../faults.js';
import { groupCommit } from '../group-commit.js';
import type { InboundMessage, StatusUpdate } from '../whatsapp/index.js';
import {
  type InboundRecord,
  insertInbound,
  insertStatuses,
  type StatusRecord,
} from './messages.repository.js';

/** Every outbound message carries its row id back to us in status webhooks, even before its wamid is known. */
export const callbackDataFor = (messageId: number): string => `msg:${messageId}`;

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
  const input: InboundRecord[] = inbound.map((m, ord) => ({
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
  const rows = await insertInbound(db, input);
  const inserted = new Map(rows.map((r) => [r.wamid, r]));
  const fresh: RecordedInbound[] = [];
  for (const m of inbound) {
    const row = inserted.get(m.wamid);
    // the same wamid twice in one list is fresh once
    if (!row) continue;
    inserted.delete(m.wamid);
    fresh.push({ message: m, messageId: row.id, participantId: row.participantId });
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
  type Delivery = { messages: InboundMessage[]; onMalformed: OnMalformed };
  const record = groupCommit<Delivery, RecordedInbound[]>({
    maxInFlight: opts.maxInFlight ?? 2,
    async commit(deliveries) {
      const fresh = await recordInbound(
        db,
        deliveries.flatMap((d) => d.messages),
      );
      // each caller gets its own fresh messages back, in its own order
      const byMessage = new Map(fresh.map((f) => [f.message, f]));
      return deliveries.map((d) => d.messages.flatMap((m) => byMessage.get(m) ?? []));
    },
    alone: (d) =>
      isolating(
        d.messages,
        (items) => recordInbound(db, items),
        (m, err, kept) => d.onMalformed({ kind: 'message', type: m.type }, err, kept),
        (m) => strippedMessage(m),
      ),
    // one bad webhook must not fail the others it happened to share a statement with, nor one bad item
    // the others of its webhook; a webhook alone whose statement failed for any other reason has failed
    fallBackOn: (err, deliveries) => deliveries > 1 || isBadData(err),
  });
  return {
    /** the fresh messages; each one that cannot be stored is left out and `onMalformed` told */
    record(inbound: InboundMessage[], onMalformed: OnMalformed = nobody): Promise<RecordedInbound[]> {
      if (inbound.length === 0) return Promise.resolve([]);
      return record({ messages: inbound, onMalformed });
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
 * recordStatuses for concurrent callers (the webhook's requests): while `maxInFlight` statements are in
 * flight, the lists that arrive wait and then go together in the next one (at most `maxStatuses` statuses a
 * statement). A lone webhook goes at once; under a burst, one round trip serves many webhooks. Each caller
 * is answered after the commit that holds its statuses, and a statement that failed for any reason but a
 * status's data fails every caller in it (each answers 5xx; the Cloud API delivers again and recording is
 * idempotent).
 */
export function createStatusRecorder(
  db: Db,
  opts: { maxInFlight?: number; maxStatuses?: number } = {},
): StatusRecorder {
  type Delivery = { list: StatusUpdate[]; onMalformed: OnMalformed };
  type Counts = { recorded: number; duplicates: number };
  const record = groupCommit<Delivery, Counts>({
    maxInFlight: opts.maxInFlight ?? 2,
    weight: (d) => d.list.length,
    maxWeight: opts.maxStatuses ?? 500,
    commit: (deliveries) =>
      recordStatusLists(
        db,
        deliveries.map((d) => d.list),
      ),
    // A list alone, then status by status: a bad status counts as neither recorded nor a duplicate.
    async alone(d) {
      const counts = await isolating(
        d.list,
        (items) => recordStatusLists(db, [items]),
        (s, err, kept) => d.onMalformed({ kind: 'status', type: s.status }, err, kept),
      );
      return counts.reduce(
        (sum, c) => ({ recorded: sum.recorded + c.recorded, duplicates: sum.duplicates + c.duplicates }),
        { recorded: 0, duplicates: 0 },
      );
    },
    fallBackOn: isBadData,
  });
  return {
    record(list, onMalformed = nobody) {
      if (list.length === 0) return Promise.resolve({ recorded: 0, duplicates: 0 });
      return record({ list, onMalformed });
    },
  };
}

/** recordStatuses for several lists in one statement; the counts come back per list. */
async function recordStatusLists(
  db: Db,
  lists: StatusUpdate[][],
): Promise<{ recorded: number; duplicates: number }[]> {
  const input: StatusRecord[] = [];
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
  const stored = await insertStatuses(db, input);
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
