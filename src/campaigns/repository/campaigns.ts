import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import {
  type Campaign,
  type CampaignStatus,
  campaignRecipients,
  campaigns,
  col,
  type Db,
  messages,
  queryRows,
  type Tx,
} from '../../db/index.js';
import { currentMessage, m, num, r } from './tables.js';

// Campaign rows: made by the route, moved by the control use-cases and the runner.

type Queryable = Db | Tx;

export async function findCampaign(db: Queryable, id: number): Promise<Campaign | undefined> {
  const [found] = await db.select().from(campaigns).where(eq(campaigns.id, id));
  return found;
}

export async function runningCampaigns(db: Queryable): Promise<Campaign[]> {
  return db.select().from(campaigns).where(eq(campaigns.status, 'running'));
}

export type CampaignChange = Partial<Pick<Campaign, 'startedAt' | 'pauseReason'>>;

/** Moves the campaign to `to` if it is in one of `from`; answers its new state, or undefined. */
export async function moveCampaign(
  db: Queryable,
  id: number,
  move: { from: readonly CampaignStatus[]; to: CampaignStatus; at: Date; set?: CampaignChange },
): Promise<{ id: number; status: CampaignStatus } | undefined> {
  const [row] = await db
    .update(campaigns)
    .set({ status: move.to, updatedAt: move.at, ...move.set })
    .where(and(eq(campaigns.id, id), inArray(campaigns.status, [...move.from])))
    .returning({ id: campaigns.id, status: campaigns.status });
  return row;
}

/** A running campaign paused for `reason`; answers whether it was running. */
export async function pauseRunning(db: Queryable, id: number, reason: string, at: Date): Promise<boolean> {
  return (
    (await moveCampaign(db, id, { from: ['running'], to: 'paused', at, set: { pauseReason: reason } })) !==
    undefined
  );
}

/** A reminder went back for another day after the campaign completed: it runs again until that one is sent. */
export async function reopenCompleted(db: Queryable, id: number): Promise<void> {
  await db
    .update(campaigns)
    .set({ status: 'running', completedAt: null })
    .where(and(eq(campaigns.id, id), eq(campaigns.status, 'completed')));
}

/**
 * Whatever of a cancelled campaign was not sent yet is dropped: pending reminders now, queued ones whose
 * message has not left the queue (the sender's guard skips those as their turn comes). Answers how many.
 */
export async function dropUnsent(db: Queryable, id: number): Promise<number> {
  const R = campaignRecipients;
  const [dropped] = await queryRows<{ n: string | number }>(
    db,
    sql`with dropped as (
      update ${R} ${r}
      set ${col(R.status)} = 'skipped', ${col(R.skipReason)} = 'cancelled', ${col(R.skippedAt)} = now(),
        ${col(R.settledAt)} = now()
      where ${r.campaignId} = ${id} and (${r.status} = 'pending' or (${r.status} = 'queued' and not exists (
        select 1 from ${messages} ${m} where ${currentMessage} and ${m.status} <> 'queued')))
      returning 1)
    select count(*) as n from dropped`,
  );
  return num(dropped?.n);
}

/** The audience is written up to participant `last` (never moved back by a slower process). */
export async function moveAudienceCursor(db: Queryable, id: number, last: number): Promise<void> {
  await db
    .update(campaigns)
    .set({ audienceCursor: last })
    .where(
      and(eq(campaigns.id, id), or(isNull(campaigns.audienceCursor), lt(campaigns.audienceCursor, last))),
    );
}

/** Every recipient row of the audience exists. */
export async function markRecipientsReady(db: Queryable, id: number, at: Date): Promise<void> {
  await db
    .update(campaigns)
    .set({ recipientsReadyAt: at })
    .where(and(eq(campaigns.id, id), isNull(campaigns.recipientsReadyAt)));
}

/** A running campaign whose audience is all written is completed; answers whether this call did it. */
export async function completeCampaign(db: Queryable, id: number, at: Date): Promise<boolean> {
  const done = await db
    .update(campaigns)
    .set({ status: 'completed', completedAt: at, updatedAt: at })
    .where(
      and(
        eq(campaigns.id, id),
        eq(campaigns.status, 'running'),
        sql`${campaigns.recipientsReadyAt} is not null`,
      ),
    )
    .returning({ id: campaigns.id });
  return done.length > 0;
}

/**
 * A standing campaign's day, taken by moving last_run_on to it; answers whether this call took it (in
 * the transaction that writes the day's rows, so a second process finds the day taken).
 */
export async function takeDay(tx: Tx, id: number, today: string): Promise<boolean> {
  const taken = await tx
    .update(campaigns)
    .set({ lastRunOn: today, updatedAt: new Date() })
    .where(
      and(
        eq(campaigns.id, id),
        eq(campaigns.status, 'running'),
        or(isNull(campaigns.lastRunOn), lt(campaigns.lastRunOn, today)),
      ),
    )
    .returning({ id: campaigns.id });
  return taken.length > 0;
}
