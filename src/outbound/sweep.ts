import { and, asc, eq, gt, inArray, max } from 'drizzle-orm';
import type { Logger } from 'pino';
import { type Db, messages } from '../db/index.js';
import type { JobQueue } from './queue.js';

const PAGE = 1000;

export interface Sweeper {
  /**
   * Start-up: every unsent row without a live job gets one, 'sending' rows too (a crash left their outcome
   * unknown; sending them again is counted as a possible duplicate).
   */
  all(): Promise<number>;
  /**
   * While running: every 'queued' row without a live job gets one (a Redis that restarted without
   * persistence, a job add that failed while Redis was away). Only 'queued' rows: the Cloud API has never
   * accepted one (a row becomes 'sending' before its request goes out), so this sweep never sends an
   * accepted message again, whatever runs at the same time. 'sending' rows stay for the start-up sweep.
   */
  queued(): Promise<number>;
}

/**
 * The sweeps read rows by primary key from a floor: every queued row lies above it, so a sweep reads the
 * rows of the last minutes, not the table. The floor is the lowest queued row found by the last sweep, and
 * never above the newest row of the sweep before that: a row whose id was drawn before that sweep and that
 * committed after it is still read (enqueueing takes milliseconds between drawing an id and committing).
 */
export function createSweeper(db: Db, queue: JobQueue, log: Pick<Logger, 'info'>): Sweeper {
  let floor = 0;
  let newestBefore = 0;

  const newest = async (): Promise<number> => {
    const [row] = await db.select({ id: max(messages.id) }).from(messages);
    return Number(row?.id ?? 0);
  };

  /** Revives the matching rows from `from` on, page by page; answers the count and the lowest id seen. */
  async function revive(statuses: ('queued' | 'sending')[], from: number) {
    let after = from - 1;
    let revived = 0;
    let lowest: number | null = null;
    for (;;) {
      const rows = await db
        .select({ id: messages.id, priority: messages.priority })
        .from(messages)
        .where(and(eq(messages.direction, 'out'), inArray(messages.status, statuses), gt(messages.id, after)))
        .orderBy(asc(messages.id))
        .limit(PAGE);
      if (rows.length === 0) break;
      lowest ??= rows[0]!.id;
      revived += await queue.revive(rows.map((r) => ({ messageId: r.id, priority: r.priority ?? 'blast' })));
      after = rows[rows.length - 1]!.id;
      if (rows.length < PAGE) break;
    }
    if (revived > 0) log.info({ revived }, 'outbound: unsent messages found without a job, queued again');
    return { revived, lowest };
  }

  return {
    async all() {
      newestBefore = await newest();
      return (await revive(['queued', 'sending'], 0)).revived;
    },
    async queued() {
      const top = await newest();
      const { revived, lowest } = await revive(['queued'], floor);
      floor = Math.min(lowest ?? Number.POSITIVE_INFINITY, newestBefore + 1);
      newestBefore = top;
      return revived;
    },
  };
}
