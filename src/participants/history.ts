import { asc, eq, or } from 'drizzle-orm';
import { type Db, messages, type Tx } from '../db/index.js';
import type { Participant } from './participants.repository.js';

export interface HistoryEntry {
  id: number;
  direction: 'in' | 'out';
  type: string;
  text: string | null;
  templateName: string | null;
  status: string;
  errorCode: number | null;
  occurredAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * The participant's conversation, oldest first: rows linked to the participant, and rows of their number
 * that arrived before the number was linked to them.
 */
export async function getMessageHistory(
  db: Db | Tx,
  participant: Pick<Participant, 'id' | 'waId'>,
): Promise<HistoryEntry[]> {
  const rows = await db
    .select({
      id: messages.id,
      direction: messages.direction,
      type: messages.type,
      text: messages.text,
      templateName: messages.templateName,
      status: messages.status,
      errorCode: messages.errorCode,
      occurredAt: messages.occurredAt,
      sentAt: messages.sentAt,
      deliveredAt: messages.deliveredAt,
      readAt: messages.readAt,
      failedAt: messages.failedAt,
    })
    .from(messages)
    .where(or(eq(messages.participantId, participant.id), eq(messages.contactKey, participant.waId)))
    .orderBy(asc(messages.occurredAt), asc(messages.id));
  return rows.map((r) => ({
    ...r,
    occurredAt: r.occurredAt.toISOString(),
    sentAt: iso(r.sentAt),
    deliveredAt: iso(r.deliveredAt),
    readAt: iso(r.readAt),
    failedAt: iso(r.failedAt),
  }));
}
