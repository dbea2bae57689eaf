import { sql } from 'drizzle-orm';

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
