import { and, asc, desc, eq, inArray, lt, ne, or, sql } from 'drizzle-orm';
import { auditLog, contacts, type Db, handoffs, messages, participants, type Tx } from '../db/index.js';

// Every statement on `handoffs`: the handoff room owns the table's writes. The engine opens a handoff and
// notes a participant's message through the room's door; the desk changes holders. Each change of holder
// is one conditional UPDATE, so two agents (or an agent and the idle job) racing for a handoff cannot
// both win.

export type Handoff = typeof handoffs.$inferSelect;
export type HandoffStatus = Handoff['status'];

type Queryable = Db | Tx;

/** Opens a handoff for a sender; null when one is already open (one open handoff per sender). */
export async function insertOpenHandoff(
  db: Queryable,
  input: { contactKey: string; participantId: number | null; reason: string },
): Promise<number | null> {
  const [created] = await db
    .insert(handoffs)
    .values(input)
    .onConflictDoNothing()
    .returning({ id: handoffs.id });
  return created?.id ?? null;
}

/** The sender's handoff that is waiting or assigned, if any. */
export async function findOpenHandoff(db: Queryable, contactKey: string): Promise<Handoff | null> {
  const [open] = await db
    .select()
    .from(handoffs)
    .where(and(eq(handoffs.contactKey, contactKey), ne(handoffs.status, 'resolved')));
  return open ?? null;
}

/** A participant wrote at `at`: the handoff's last activity moves forward, never back. */
export async function noteParticipantMessage(db: Queryable, id: number, at: Date): Promise<void> {
  await db
    .update(handoffs)
    .set({ lastMessageAt: sql`greatest(${handoffs.lastMessageAt}, ${at.toISOString()}::timestamptz)` })
    .where(eq(handoffs.id, id));
}

/** Someone acted in the conversation now (a re-engagement template went). */
export async function touchHandoff(db: Queryable, id: number, at: Date): Promise<void> {
  await db.update(handoffs).set({ lastMessageAt: at }).where(eq(handoffs.id, id));
}

/** A waiting handoff becomes this agent's; false when it was not waiting (the loser of a race). */
export async function claimWaiting(db: Queryable, id: number, agent: string, at: Date): Promise<boolean> {
  const won = await db
    .update(handoffs)
    .set({ status: 'assigned', assignedTo: agent, assignedAt: at })
    .where(and(eq(handoffs.id, id), eq(handoffs.status, 'waiting')))
    .returning({ id: handoffs.id });
  return won.length > 0;
}

/**
 * Records an agent's reply as activity, only while that agent still holds the handoff: a resolve or an idle
 * return in between makes the reply a conflict instead of a message the bot no longer expects.
 */
export async function touchIfHeld(db: Queryable, id: number, agent: string, at: Date): Promise<boolean> {
  const still = await db
    .update(handoffs)
    .set({ lastMessageAt: at })
    .where(and(eq(handoffs.id, id), eq(handoffs.status, 'assigned'), eq(handoffs.assignedTo, agent)))
    .returning({ id: handoffs.id });
  return still.length > 0;
}

/**
 * Resolves a handoff that `closer` may close: an admin any open one (an agent gone home), an agent only a
 * waiting one or their own. False when it may not.
 */
export async function resolveIfAllowed(
  db: Queryable,
  id: number,
  closer: { name: string; admin: boolean },
  at: Date,
): Promise<boolean> {
  const mayClose = closer.admin
    ? ne(handoffs.status, 'resolved')
    : or(
        eq(handoffs.status, 'waiting'),
        and(eq(handoffs.status, 'assigned'), eq(handoffs.assignedTo, closer.name)),
      );
  const done = await db
    .update(handoffs)
    .set({ status: 'resolved', resolvedAt: at })
    .where(and(eq(handoffs.id, id), mayClose))
    .returning({ id: handoffs.id });
  return done.length > 0;
}

/** Resolves every open handoff where nobody wrote since `cutoff`; answers their ids. */
export async function resolveIdleSince(tx: Queryable, cutoff: Date, at: Date): Promise<number[]> {
  const rows = await tx
    .update(handoffs)
    .set({ status: 'resolved', resolvedAt: at })
    .where(and(ne(handoffs.status, 'resolved'), lt(handoffs.lastMessageAt, cutoff)))
    .returning({ id: handoffs.id });
  return rows.map((r) => r.id);
}

/** Open handoffs by status, and the waiting ones opened before `overdueBefore`. */
export async function countOpen(
  db: Queryable,
  overdueBefore: Date,
): Promise<{ waiting: number; assigned: number; overdue: number }> {
  const [row] = await db
    .select({
      waiting: sql<number>`count(*) filter (where ${handoffs.status} = 'waiting')`.mapWith(Number),
      assigned: sql<number>`count(*) filter (where ${handoffs.status} = 'assigned')`.mapWith(Number),
      overdue:
        sql<number>`count(*) filter (where ${handoffs.status} = 'waiting' and ${handoffs.createdAt} < ${overdueBefore.toISOString()}::timestamptz)`.mapWith(
          Number,
        ),
    })
    .from(handoffs)
    .where(ne(handoffs.status, 'resolved'));
  return row ?? { waiting: 0, assigned: 0, overdue: 0 };
}

const summaryColumns = {
  id: handoffs.id,
  contactKey: handoffs.contactKey,
  status: handoffs.status,
  reason: handoffs.reason,
  assignedTo: handoffs.assignedTo,
  assignedAt: handoffs.assignedAt,
  resolvedAt: handoffs.resolvedAt,
  lastMessageAt: handoffs.lastMessageAt,
  createdAt: handoffs.createdAt,
  participantId: handoffs.participantId,
  waId: contacts.waId,
  userId: contacts.userId,
  profileName: contacts.profileName,
  contactLanguage: contacts.language,
  lastInboundAt: contacts.lastInboundAt,
  kpj: participants.kpj,
  name: participants.name,
  participantLanguage: participants.language,
  participantWaId: participants.waId,
  optedOut: participants.optedOut,
  // the newest message either way: what the inbox watches to know a conversation changed
  lastMessageId: sql<number | null>`(select max(${messages.id}) from ${messages}
    where ${messages.contactKey} = ${handoffs.contactKey})`.mapWith((v) => (v === null ? null : Number(v))),
};

const selectSummaries = (db: Queryable) =>
  db
    .select(summaryColumns)
    .from(handoffs)
    .leftJoin(contacts, eq(contacts.contactKey, handoffs.contactKey))
    .leftJoin(participants, eq(participants.id, handoffs.participantId));

/** A handoff with who it is with: the sender's contact and the participant it was opened for. */
export type HandoffRow = Awaited<ReturnType<typeof selectSummaries>>[number];

export async function findHandoffRow(db: Queryable, id: number): Promise<HandoffRow | null> {
  const [row] = await selectSummaries(db).where(eq(handoffs.id, id));
  return row ?? null;
}

/** Open handoffs (or those of one status) oldest first; resolved ones newest first, the last 200. */
export async function listHandoffRows(db: Queryable, status?: HandoffStatus): Promise<HandoffRow[]> {
  if (status === 'resolved') {
    return selectSummaries(db)
      .where(eq(handoffs.status, 'resolved'))
      .orderBy(desc(handoffs.resolvedAt))
      .limit(200);
  }
  return selectSummaries(db)
    .where(status ? eq(handoffs.status, status) : ne(handoffs.status, 'resolved'))
    .orderBy(asc(handoffs.createdAt), asc(handoffs.id));
}

/** The sender's newest handoff, whatever its status. */
export async function latestHandoffRowOf(db: Queryable, contactKey: string): Promise<HandoffRow | null> {
  const [row] = await selectSummaries(db)
    .where(eq(handoffs.contactKey, contactKey))
    .orderBy(desc(handoffs.id))
    .limit(1);
  return row ?? null;
}

/** The handoff's audit records, who and when: one per action on it. */
export async function auditHandoff(
  db: Queryable,
  entries: { actor: string; action: string; id: number; details?: Record<string, unknown> }[],
): Promise<void> {
  if (entries.length === 0) return;
  await db.insert(auditLog).values(
    entries.map((e) => ({
      actor: e.actor,
      action: e.action,
      subject: `handoff:${e.id}`,
      ...(e.details ? { details: e.details } : {}),
    })),
  );
}

/** Whether the bot took this handoff back because nobody wrote (rather than an agent resolving it). */
export async function wasReturnedIdle(db: Queryable, id: number): Promise<boolean> {
  const [idle] = await db
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(and(eq(auditLog.subject, `handoff:${id}`), inArray(auditLog.action, [IDLE_RETURN])));
  return idle !== undefined;
}

export const IDLE_RETURN = 'handoff.idle_return';
