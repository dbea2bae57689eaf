import type { OriginKind, Tx } from '../db/index.js';
import type { Priority } from './queue.js';

// Every outbound message says who asked for it (messages.origin_kind and, for a reminder, its recipient and
// attempt). The room that queues messages of a kind registers what the sender asks and tells it about them:
// a guard just before each send, and a handler told each outcome once, in the transaction that records it.

export type Origin =
  /** attempt `attempt` of the campaign reminder `recipientId` (campaign_recipients.id) */
  | { kind: 'campaign'; recipientId: number; attempt: number }
  /** the bot's answer to an inbound message */
  | { kind: 'reply' }
  /** an officer's words in the inbox */
  | { kind: 'agent' }
  /** what the service says of its own accord: a return to the bot, a link request, a re-engagement */
  | { kind: 'notice' };

export type OriginOf<K extends OriginKind> = Origin & { kind: K };

/** What a guard sees of a message about to be sent. */
export interface GuardedMessage<K extends OriginKind = OriginKind> {
  id: number;
  origin: OriginOf<K>;
  contactKey: string;
  participantId: number | null;
  priority: Priority;
  /** 'sending' when an earlier attempt's outcome is unknown (it may have been accepted) */
  status: 'queued' | 'sending';
}

/**
 * A guard's verdict just before a send: go ahead; skip for good (the message becomes 'skipped' with the
 * reason, and its origin is told); or hold it back for `holdMs` without using an attempt (quiet hours, a
 * paused campaign).
 */
export type SendDecision = 'send' | { skip: string } | { holdMs: number; reason: string };

/**
 * The last word on messages before their slots are taken. It is asked about every message of its kind at
 * that stage at once (one query for a blast's worth), and answers in order.
 */
export type SendGuard<K extends OriginKind = OriginKind> = (
  messages: readonly GuardedMessage<K>[],
) => Promise<SendDecision[]>;

/**
 * How a message ended, as the sender knows it (accepted, failed with the Cloud API's code, skipped by its
 * guard), or what a status webhook said after acceptance (`late` failure; the category Meta billed).
 */
export type Outcome =
  | { kind: 'accepted' }
  | { kind: 'failed'; code: number | null; title: string | null; late: boolean }
  | { kind: 'skipped'; reason: string }
  | { kind: 'billed'; category: string };

export interface OutcomeReport<K extends OriginKind = OriginKind> {
  messageId: number;
  origin: OriginOf<K>;
  outcome: Outcome;
}

/**
 * Told in the transaction that records the outcomes, so that an outcome and what its origin makes of it
 * commit together. A send that ran twice (its first answer lost) can be told twice: act idempotently.
 */
export type OutcomeHandler<K extends OriginKind = OriginKind> = (
  tx: Tx,
  reports: readonly OutcomeReport<K>[],
) => Promise<void>;

export interface OriginHandlers<K extends OriginKind = OriginKind> {
  guard?: SendGuard<K>;
  outcomes?: OutcomeHandler<K>;
}

/** The origin a stored row names (origin_kind and the campaign columns); null for a row that names none. */
export function originOf(row: {
  originKind: OriginKind | null;
  campaignRecipientId: number | null;
  campaignAttempt: number | null;
}): Origin | null {
  switch (row.originKind) {
    case 'campaign':
      return row.campaignRecipientId === null || row.campaignAttempt === null
        ? null
        : { kind: 'campaign', recipientId: row.campaignRecipientId, attempt: row.campaignAttempt };
    case 'reply':
    case 'agent':
    case 'notice':
      return { kind: row.originKind };
    default:
      return null;
  }
}

/** The columns that store an origin. */
export function originColumns(origin: Origin): {
  originKind: OriginKind;
  campaignRecipientId: number | null;
  campaignAttempt: number | null;
} {
  return origin.kind === 'campaign'
    ? { originKind: 'campaign', campaignRecipientId: origin.recipientId, campaignAttempt: origin.attempt }
    : { originKind: origin.kind, campaignRecipientId: null, campaignAttempt: null };
}
