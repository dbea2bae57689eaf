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
 * same delivery returns nothing, so nothing downstream runs twice.
 */
export async function recordInbound(db: Db, inbound: InboundMessage[]): Promise<RecordedInbound[]> {
  const fresh: RecordedInbound[] = [];
  for (const m of inbound) {
    const participantId = await db.transaction(async (tx) => {
      const registered = m.waId
        ? await tx
            .select({ id: participants.id })
            .from(participants)
            .where(eq(participants.waId, m.waId))
            .orderBy(participants.id)
            .limit(1)
        : [];
      const participantId = registered[0]?.id ?? null;
      await tx
        .insert(contacts)
        .values({
          contactKey: m.contact,
          waId: m.waId ?? null,
          userId: m.userId ?? null,
          profileName: m.profileName ?? null,
          participantId,
          lastInboundAt: m.timestamp,
        })
        .onConflictDoUpdate({
          target: contacts.contactKey,
          set: {
            waId: sql`coalesce(excluded.wa_id, ${contacts.waId})`,
            userId: sql`coalesce(excluded.user_id, ${contacts.userId})`,
            profileName: sql`coalesce(excluded.profile_name, ${contacts.profileName})`,
            participantId: sql`coalesce(${contacts.participantId}, excluded.participant_id)`,
            lastInboundAt: sql`greatest(${contacts.lastInboundAt}, excluded.last_inbound_at)`,
          },
        });
      const inserted = await tx
        .insert(messages)
        .values({
          direction: 'in',
          contactKey: m.contact,
          participantId,
          wamid: m.wamid,
          type: m.type,
          text: m.text ?? null,
          replyId: m.reply?.id ?? null,
          payload: m.raw,
          status: 'received',
          contextWamid: m.contextWamid ?? null,
          errorCode: m.errors[0]?.code ?? null,
          errorTitle: m.errors[0]?.title ?? null,
          occurredAt: m.timestamp,
        })
        .onConflictDoNothing({ target: messages.wamid })
        .returning({ id: messages.id });
      return inserted[0] ? { id: inserted[0].id, participantId } : null;
    });
    if (participantId)
      fresh.push({ message: m, messageId: participantId.id, participantId: participantId.participantId });
  }
  return fresh;
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
