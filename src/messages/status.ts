import { inArray, sql } from 'drizzle-orm';
import { type Db, messages, type Tx } from '../db/index.js';

// The rule of how a status moves a message; the statements that apply it are in messages.repository.ts.

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

export const rank = (column: unknown) =>
  sql`coalesce(array_position(array[${sql.join(
    STATUS_ORDER.map((s) => sql`${s}`),
    sql`, `,
  )}]::text[], ${column}), 0)`;

/** The same rank as SQL text with the order spelled out (no parameters), for statements written once. */
export const rankText = (column: string): string =>
  `coalesce(array_position(array[${STATUS_ORDER.map((s) => `'${s}'`).join(', ')}]::text[], ${column}), 0)`;

export async function findMessageIdsByWamid(db: Db | Tx, wamids: string[]): Promise<Map<string, number>> {
  if (wamids.length === 0) return new Map();
  const rows = await db
    .select({ id: messages.id, wamid: messages.wamid })
    .from(messages)
    .where(inArray(messages.wamid, wamids));
  return new Map(rows.map((r) => [r.wamid!, r.id]));
}
