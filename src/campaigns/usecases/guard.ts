import type { GuardedMessage, SendDecision, SendGuard } from '../../outbound/index.js';
import { holdFor } from '../hours.js';
import { type GuardFacts, guardFacts } from '../repository/index.js';
import type { CampaignContext } from './context.js';

// The sender asks this just before each reminder goes, of the reminder (the bill still unpaid, the
// participant still opted in and not with an officer) and of the campaign (still running, inside sending
// hours).

/** The skip that puts a reminder back to pending for after the pause (settle.ts), not a skip for good. */
export const PAUSED = 'paused';
/** A paused reminder caught mid-send (outcome unknown) waits this long to learn it, never re-queued. */
const UNKNOWN_OUTCOME_HOLD_MS = 1000;

export function campaignGuard(ctx: Pick<CampaignContext, 'db' | 'now' | 'hours'>): SendGuard<'campaign'> {
  return async (list) => {
    const facts = await guardFacts(
      ctx.db,
      list.map((msg) => ({ id: msg.origin.recipientId, contactKey: msg.contactKey })),
    );
    const hold = holdFor(ctx.now(), ctx.hours);
    return list.map((msg) => verdict(msg, facts.get(msg.origin.recipientId), hold));
  };
}

/** The decision for one reminder, from its facts and the sending hours' hold now. */
export function verdict(
  msg: GuardedMessage<'campaign'>,
  r: GuardFacts | undefined,
  hold: { ms: number; reason: string } | null,
): SendDecision {
  if (!r) return { skip: 'no such recipient' };
  if (r.status === 'skipped') return { skip: r.skipReason ?? 'skipped' };
  // A message from before a pause or a next-day retry: the reminder has moved on to a newer attempt.
  if (r.attempts !== msg.origin.attempt || r.status !== 'queued') return { skip: 'superseded' };
  const reason = r.paid
    ? 'paid'
    : r.optedOut
      ? 'opted_out'
      : r.unreachable
        ? 'unreachable'
        : r.handoff
          ? 'handoff'
          : r.campaignStatus === 'cancelled'
            ? 'cancelled'
            : null;
  if (reason) return { skip: reason };
  if (r.campaignStatus !== 'running') {
    return msg.status === 'sending'
      ? { holdMs: UNKNOWN_OUTCOME_HOLD_MS, reason: 'campaign paused' }
      : { skip: PAUSED };
  }
  if (hold) return { holdMs: hold.ms, reason: hold.reason };
  return 'send';
}
