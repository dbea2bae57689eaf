import type { Campaign } from '../../db/index.js';
import type { Outcome } from '../../outbound/index.js';

// What a Cloud API failure, or the category Meta billed, means for a campaign (Meta's error codes and their
// suggested actions: retry, pause, or give the recipient up). Pure: the
// outcome handler (settle.ts) carries the consequence out.

/** The template, the number or the account is in trouble; every next send would fail too. */
export const PAUSE_CODES: ReadonlySet<number> = new Set([
  131048, // spam-rate limit on this number: quality problem
  132000, // parameter count does not match the template
  132001, // template missing in this language or not approved
  132015, // template paused for low quality
  132016, // template disabled
  190, // access token expired
  368, // account restricted for a policy violation
]);
/** The number is not on WhatsApp. */
export const UNREACHABLE_CODE = 131026;
/** Per-user marketing limit: Meta says wait at least 24 hours. */
export const NEXT_DAY_CODE = 131049;
const NEXT_DAY_MS = 24 * 3600_000;
/** How many times one reminder goes back for another day before its failure stands. */
export const NEXT_DAY_TRIES = 2;

export type Consequence =
  | { kind: 'none' }
  /** mark the participant's number: no campaign sends to it again until a new number is imported */
  | { kind: 'unreachable' }
  /** the reminder goes back to pending, not before `notBefore` */
  | { kind: 'retry'; notBefore: Date }
  /** the campaign pauses with `reason`; `alert` labels the alert raised */
  | { kind: 'pause'; reason: string; alert: string };

/** The reminder the outcome is about: how many times it went back already, and its campaign's template. */
export type ReminderFacts = { attempts: number } & Pick<Campaign, 'templateName' | 'templateCategory'>;

const NONE: Consequence = { kind: 'none' };

export function decide(outcome: Outcome, reminder: ReminderFacts, now: Date): Consequence {
  if (outcome.kind === 'billed') {
    const billed = billedCategory(outcome.category);
    if (!billed || billed === reminder.templateCategory) return NONE;
    return {
      kind: 'pause',
      reason: `Meta billed template ${reminder.templateName} as ${outcome.category}; the registry says ${reminder.templateCategory}`,
      alert: 'category_mismatch',
    };
  }
  if (outcome.kind !== 'failed' || outcome.code === null) return NONE;
  const { code } = outcome;
  if (code === UNREACHABLE_CODE) return { kind: 'unreachable' };
  if (code === NEXT_DAY_CODE) {
    return reminder.attempts < NEXT_DAY_TRIES
      ? { kind: 'retry', notBefore: new Date(now.getTime() + NEXT_DAY_MS) }
      : NONE;
  }
  if (PAUSE_CODES.has(code)) {
    return {
      kind: 'pause',
      reason: `WhatsApp error ${code}: ${outcome.title ?? 'no title'}`,
      alert: String(code),
    };
  }
  return NONE;
}

/** The template category a status's pricing names; null for what a template is never billed as. */
export function billedCategory(pricing: string | null): 'utility' | 'marketing' | 'authentication' | null {
  if (pricing === 'utility') return 'utility';
  if (pricing === 'marketing' || pricing === 'marketing_lite') return 'marketing';
  if (pricing?.startsWith('authentication')) return 'authentication';
  return null;
}
