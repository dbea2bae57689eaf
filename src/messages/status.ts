import { and, eq, inArray, sql } from 'drizzle-orm';
import { type Db, messageStatuses, messages, type Tx } from '../db/index.js';

/** Where a status may move a message: later means further along; a late lower status never overwrites. */
const STATUS_ORDER = ['queued', 'sending', 'accepted', 'sent', 'failed', 'delivered', 'read'] as const;

export interface StatusFact {
  wamid: string;
  /** sent | delivered | read | failed | played (played counts as read) */
  status: string;
  occurredAt: Date;
  errorCode?: number | null;
  errorTitle?: string | null;
  pricingCategory?: string | null;
  pricingType?: string | null;
}

const rank = (column: unknown) =>
  sql`coalesce(array_position(array[${sql.join(
    STATUS_ORDER.map((s) => sql`${s}`),
    sql`, `,
  )}]::text[], ${column}), 0)`;

/** The same rank as SQL text with the order spelled out (no parameters), for statements written once. */
export const rankText = (column: string): string =>
  `coalesce(array_position(array[${STATUS_ORDER.map((s) => `'${s}'`).join(', ')}]::text[], ${column}), 0)`;

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

export async function findMessageIdsByWamid(db: Db | Tx, wamids: string[]): Promise<Map<string, number>> {
  if (wamids.length === 0) return new Map();
  const rows = await db
    .select({ id: messages.id, wamid: messages.wamid })
    .from(messages)
    .where(inArray(messages.wamid, wamids));
  return new Map(rows.map((r) => [r.wamid!, r.id]));
}
