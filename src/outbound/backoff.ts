import { PAIR_RATE_LIMIT_CODE } from '../whatsapp/index.js';
import { RetryLater } from './queue.js';

/** No single wait longer than this: a reply an hour late is worth less than one more try. */
export const MAX_BACKOFF_MS = 15 * 60_000;

/**
 * The wait before the next attempt, after `attemptsMade` failed ones (1 after the first failure).
 * Exponential with jitter, so that a burst of failures (a Cloud API hiccup during a blast) does not come
 * back as one burst. The pair rate limit (131056) follows Meta's own advice instead: 4^X seconds for that
 * recipient, starting at X = 0 (Meta's pair rate limit: one message every 6 s to the same user, bursts
 * borrowed from later), with the base standing for the second.
 */
export function backoffDelay(
  attemptsMade: number,
  err: unknown,
  baseDelayMs: number,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, attemptsMade);
  if (err instanceof RetryLater && err.failure.code === PAIR_RATE_LIMIT_CODE) {
    return Math.min(MAX_BACKOFF_MS, baseDelayMs * 4 ** (n - 1));
  }
  const full = Math.min(MAX_BACKOFF_MS, baseDelayMs * 2 ** (n - 1));
  return Math.round(full / 2 + random() * (full / 2));
}
