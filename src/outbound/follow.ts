import type { Db, OriginKind, Tx } from '../db/index.js';
import type { Origin, OutcomeReport } from './origin.js';
import {
  ensureStatusCursor,
  lockStatusCursor,
  moveStatusCursor,
  nextStatusPage,
  type StatusAfterSend,
  statusesAfterSend,
} from './repository.js';

// What a message's origin hears after the send: a status webhook can say that an accepted message failed
// after all, and which category Meta billed it as. Those statuses are recorded by the webhook (the messages
// room) and read here, once across processes, through one cursor row locked while it is read: each status
// is told once, in the transaction that moves the cursor past it, and none is missed across restarts.

const PAGE = 1000;

export interface StatusFollower {
  /** Reads the next page of statuses and tells their origins; false when there was nothing to read. */
  step(): Promise<boolean>;
}

export function createStatusFollower(deps: {
  db: Db;
  /** statuses are read this long after they were recorded, so none committed late is passed over */
  lagMs: number;
  /** the kinds whose origins want to hear */
  kinds: () => readonly OriginKind[];
  tell: (tx: Tx, reports: OutcomeReport[]) => Promise<void>;
}): StatusFollower {
  let cursorReady: Promise<void> | undefined;
  return {
    async step() {
      cursorReady ??= ensureStatusCursor(deps.db).catch((err: unknown) => {
        cursorReady = undefined;
        throw err;
      });
      await cursorReady;
      return deps.db.transaction(async (tx) => {
        const last = await lockStatusCursor(tx);
        if (last === null) return false;
        const upto = await nextStatusPage(tx, last, deps.lagMs, PAGE);
        if (upto === null) return false;
        const seen = await statusesAfterSend(tx, { last, upto }, deps.kinds());
        await deps.tell(tx, seen.flatMap(reportsOf));
        await moveStatusCursor(tx, upto);
        return true;
      });
    },
  };
}

function reportsOf(s: StatusAfterSend): OutcomeReport[] {
  return s.origin ? statusReports(s.messageId, s.origin, s) : [];
}

/** What one status tells a message's origin: a failure after acceptance, and the category Meta billed. */
export function statusReports(
  messageId: number,
  origin: Origin,
  s: Pick<StatusAfterSend, 'status' | 'errorCode' | 'errorTitle' | 'pricingCategory'>,
): OutcomeReport[] {
  const out: OutcomeReport[] = [];
  if (s.status === 'failed') {
    out.push({
      messageId,
      origin,
      outcome: { kind: 'failed', code: s.errorCode, title: s.errorTitle, late: true },
    });
  }
  if (s.pricingCategory !== null) {
    out.push({ messageId, origin, outcome: { kind: 'billed', category: s.pricingCategory } });
  }
  return out;
}
