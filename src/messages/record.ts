import { and, eq, isNull, sql } from 'drizzle-orm';
import { contacts, type Db, messageStatuses, messages, participants } from '../db/index.js';
import type { InboundMessage, StatusUpdate } from '../whatsapp/index.js';
import { applyStatus, findMessageIdsByWamid } from './status.js';

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
  const result: unknown = await db.execute(sql`
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
      insert into ${contacts} (contact_key, wa_id, user_id, profile_name, participant_id, last_inbound_at)
      select i.contact_key,
        (array_agg(i.wa_id order by i.occurred_at desc, i.ord desc) filter (where i.wa_id is not null))[1],
        (array_agg(i.user_id order by i.occurred_at desc, i.ord desc) filter (where i.user_id is not null))[1],
        (array_agg(i.profile_name order by i.occurred_at desc, i.ord desc)
          filter (where i.profile_name is not null))[1],
        min(r.id), max(i.occurred_at)
      from input i left join registered r on r.wa_id = i.wa_id
      group by i.contact_key
      -- rows locked in one order, so two statements at once cannot deadlock
      order by i.contact_key
      on conflict (contact_key) do update set
        wa_id = coalesce(excluded.wa_id, ${contacts.waId}),
        user_id = coalesce(excluded.user_id, ${contacts.userId}),
        profile_name = coalesce(excluded.profile_name, ${contacts.profileName}),
        participant_id = coalesce(${contacts.participantId}, excluded.participant_id),
        last_inbound_at = greatest(${contacts.lastInboundAt}, excluded.last_inbound_at)
    )
    insert into ${messages} (direction, contact_key, participant_id, wamid, type, text, reply_id, payload,
      status, context_wamid, error_code, error_title, occurred_at)
    select 'in', i.contact_key, r.id, i.wamid, i.type, i.text, i.reply_id, i.payload, 'received',
      i.context_wamid, i.error_code, i.error_title, i.occurred_at
    from input i left join registered r on r.wa_id = i.wa_id
    order by i.ord
    on conflict (wamid) do nothing
    returning id, wamid, participant_id`);
  // postgres-js answers an array, PGlite `{ rows }`
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
    id: number | string;
    wamid: string;
    participant_id: number | null;
  }[];
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
 * recordInbound for many concurrent callers: while `maxInFlight` statements run, the messages of the
 * webhooks that arrive wait and go together in the next one (group commit). Under load this turns a
 * statement per webhook into a statement per few webhooks, so acknowledgements stop queueing for the
 * database pool; alone, a webhook goes at once.
 */
export function createInboundRecorder(db: Db, opts: { maxInFlight?: number } = {}) {
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
  let inFlight = 0;
  let waiting: {
    messages: InboundMessage[];
    resolve(r: RecordedInbound[]): void;
    reject(err: unknown): void;
  }[] = [];
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
            // one bad webhook must not fail the others it happened to share a statement with
            if (batch.length === 1) batch[0]!.reject(err);
            else for (const w of batch) recordInbound(db, w.messages).then(w.resolve, w.reject);
          },
        )
        .finally(() => {
          inFlight--;
          flush();
        });
    }
  }
  return {
    record(inbound: InboundMessage[]): Promise<RecordedInbound[]> {
      if (inbound.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        waiting.push({ messages: inbound, resolve, reject });
        flush();
      });
    },
  };
}

/**
 * Records each status once per (wamid, status) and moves the matching outbound message forward. A status
 * whose message is not known yet (its wamid not stored) stays in message_statuses until the sender
 * reconciles it.
 */
export async function recordStatuses(
  db: Db,
  statuses: StatusUpdate[],
): Promise<{ recorded: number; duplicates: number }> {
  let recorded = 0;
  const byWamid = await findMessageIdsByWamid(
    db,
    statuses.map((s) => s.wamid),
  );
  for (const s of statuses) {
    const error = s.errors[0];
    const fresh = await db
      .insert(messageStatuses)
      .values({
        wamid: s.wamid,
        status: s.status,
        occurredAt: s.timestamp,
        recipient: s.recipient,
        errorCode: error?.code ?? null,
        errorTitle: error?.title ?? null,
        pricingCategory: s.pricing?.category ?? null,
        pricingType: s.pricing?.type ?? null,
        callbackData: s.bizOpaqueCallbackData ?? null,
      })
      .onConflictDoNothing()
      .returning({ id: messageStatuses.id });
    if (fresh.length === 0) continue;
    recorded++;
    let messageId = byWamid.get(s.wamid) ?? null;
    if (messageId == null) {
      messageId = messageIdFromCallbackData(s.bizOpaqueCallbackData);
      if (messageId == null) continue;
      // A send whose answer was lost (a timeout) was accepted after all: keeping its wamid now, and the
      // status moving the row past 'sending', stops the sender from sending it again.
      await db
        .update(messages)
        .set({ wamid: s.wamid })
        .where(and(eq(messages.id, messageId), isNull(messages.wamid), eq(messages.direction, 'out')));
      byWamid.set(s.wamid, messageId);
    }
    await applyStatus(db, messageId, {
      wamid: s.wamid,
      status: s.status,
      occurredAt: s.timestamp,
      errorCode: error?.code,
      errorTitle: error?.title,
      pricingCategory: s.pricing?.category,
      pricingType: s.pricing?.type,
    });
  }
  return { recorded, duplicates: statuses.length - recorded };
}
