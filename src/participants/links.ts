import { and, desc, eq } from 'drizzle-orm';
import {
  auditLog,
  contactLinks,
  contacts,
  type Db,
  type LinkRequestStatus,
  linkRequests,
  messages,
  participants,
} from '../db/index.js';
import { maskPhone } from '../whatsapp/index.js';
import { holdersOf } from './numbers.js';
import { confirm } from './verification.js';

// An unregistered WhatsApp sender who proves a KPJ and its birth date only asks to speak for that
// participant: an officer decides in the inbox, seeing what was typed and the registered number, which is
// told of the request meanwhile.

export interface LinkRequest {
  id: number;
  contactKey: string;
  participantId: number;
  kpj: string;
  name: string;
  /** the participant's registered number when the request was made; the one told of it */
  registeredWaId: string | null;
  /** the notice to that number: queued, sent, delivered, read or failed */
  noticeStatus: string | null;
  status: LinkRequestStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  createdAt: string;
}

/**
 * Records a request from a sender to speak for a participant, in the inbox conversation `handoffId`. A
 * sender has one pending request at a time: asking again (another KPJ included) replaces nothing and
 * answers the pending one.
 */
export async function createLinkRequest(
  db: Db,
  input: {
    contactKey: string;
    participantId: number;
    registeredWaId: string | null;
    handoffId: number | null;
  },
): Promise<{ id: number; created: boolean }> {
  const [created] = await db
    .insert(linkRequests)
    .values(input)
    .onConflictDoNothing()
    .returning({ id: linkRequests.id });
  if (created) {
    await db.insert(auditLog).values({
      actor: `contact:${maskPhone(input.contactKey)}`,
      action: 'link.requested',
      subject: `link_request:${created.id}`,
      details: { participantId: input.participantId, handoffId: input.handoffId },
    });
    return { id: created.id, created: true };
  }
  const [pending] = await db
    .select({ id: linkRequests.id })
    .from(linkRequests)
    .where(and(eq(linkRequests.contactKey, input.contactKey), eq(linkRequests.status, 'pending')));
  return { id: pending!.id, created: false };
}

/** Keeps which message told the registered number, so the officer sees whether it arrived. */
export async function recordLinkNotice(db: Db, requestId: number, messageId: number): Promise<void> {
  await db.update(linkRequests).set({ noticeMessageId: messageId }).where(eq(linkRequests.id, requestId));
}

/** The newest link request made in an inbox conversation, for the officer's view. */
export async function linkRequestOfHandoff(db: Db, handoffId: number): Promise<LinkRequest | null> {
  const [row] = await db
    .select({
      request: linkRequests,
      kpj: participants.kpj,
      name: participants.name,
      noticeStatus: messages.status,
    })
    .from(linkRequests)
    .innerJoin(participants, eq(participants.id, linkRequests.participantId))
    .leftJoin(messages, eq(messages.id, linkRequests.noticeMessageId))
    .where(eq(linkRequests.handoffId, handoffId))
    .orderBy(desc(linkRequests.id))
    .limit(1);
  if (!row) return null;
  const r = row.request;
  return {
    id: r.id,
    contactKey: r.contactKey,
    participantId: r.participantId,
    kpj: row.kpj,
    name: row.name,
    registeredWaId: r.registeredWaId,
    noticeStatus: row.noticeStatus,
    status: r.status,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
  };
}

export type LinkDecision = 'approve' | 'reject';

export type DecisionResult =
  | { ok: true; request: LinkRequest }
  | { ok: false; reason: 'no_link_request' | 'number_registered' };

/**
 * An officer's decision on the pending request of an inbox conversation. Approving links the sender to
 * the participant and counts as a birth-date confirmation for 30 days (the sender typed it and an officer
 * checked); it is refused when someone has since been registered on the sender's number, which then
 * belongs to them. Every decision is in the audit log.
 */
export async function decideLinkRequest(
  db: Db,
  input: { handoffId: number; decision: LinkDecision; actor: string; now: Date },
): Promise<DecisionResult> {
  const pending = await linkRequestOfHandoff(db, input.handoffId);
  if (pending?.status !== 'pending') return { ok: false, reason: 'no_link_request' };
  if (input.decision === 'approve') {
    const [contact] = await db
      .select({ waId: contacts.waId })
      .from(contacts)
      .where(eq(contacts.contactKey, pending.contactKey));
    const registered = contact?.waId
      ? (await holdersOf(db, { contactKey: pending.contactKey, waId: contact.waId })).length > 0
      : false;
    if (registered) return { ok: false, reason: 'number_registered' };
  }
  const status: LinkRequestStatus = input.decision === 'approve' ? 'approved' : 'rejected';
  const decided = await db.transaction(async (tx) => {
    // one conditional update decides: two officers clicking at once make one decision
    const [row] = await tx
      .update(linkRequests)
      .set({ status, decidedBy: input.actor, decidedAt: input.now })
      .where(and(eq(linkRequests.id, pending.id), eq(linkRequests.status, 'pending')))
      .returning({ id: linkRequests.id });
    if (!row) return false;
    if (status === 'approved') {
      const link = {
        participantId: pending.participantId,
        linkRequestId: pending.id,
        approvedBy: input.actor,
      };
      await tx
        .insert(contactLinks)
        .values({ contactKey: pending.contactKey, ...link })
        .onConflictDoUpdate({ target: contactLinks.contactKey, set: { ...link, createdAt: input.now } });
      await confirm(tx, pending.contactKey, pending.participantId, input.now);
    }
    await tx.insert(auditLog).values({
      actor: input.actor,
      action: status === 'approved' ? 'link.approved' : 'link.rejected',
      subject: `participant:${pending.kpj}`,
      details: { linkRequestId: pending.id, contact: maskPhone(pending.contactKey) },
    });
    return true;
  });
  if (!decided) return { ok: false, reason: 'no_link_request' };
  return { ok: true, request: (await linkRequestOfHandoff(db, input.handoffId))! };
}

/** A conversation handed back to the bot ends its undecided request: the sender may ask again. */
export async function closeLinkRequests(db: Db, handoffIds: number[], actor: string): Promise<void> {
  for (const handoffId of handoffIds) {
    const closed = await db
      .update(linkRequests)
      .set({ status: 'closed', decidedBy: actor, decidedAt: new Date() })
      .where(and(eq(linkRequests.handoffId, handoffId), eq(linkRequests.status, 'pending')))
      .returning({ id: linkRequests.id });
    for (const r of closed) {
      await db.insert(auditLog).values({ actor, action: 'link.closed', subject: `link_request:${r.id}` });
    }
  }
}
