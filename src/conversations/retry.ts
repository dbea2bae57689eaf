import { isTransient } from '../faults.js';
import { maskPhone } from '../whatsapp/index.js';

export interface RetryPolicy {
  /** the wait after the first failure; each further failure doubles it */
  firstDelayMs: number;
  maxDelayMs: number;
  /**
   * tries for a failure not known to be transient (a fault in the code, say), after which the sender's
   * messages wait for their next message or the next start, as they would without retries
   */
  triesUnknown: number;
}

export const DEFAULT_RETRY: RetryPolicy = { firstDelayMs: 1000, maxDelayMs: 60_000, triesUnknown: 5 };

export interface RetryLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * When handling a sender's messages failed, handles them again after a backoff: for as long as the failure
 * is transient (PostgreSQL or Redis away), so that a message recorded during an outage is answered when the
 * servers are back without waiting for the sender to write again.
 */
export function createRetries(opts: {
  policy?: Partial<RetryPolicy>;
  /** hands the sender back to the engine's queue */
  again(contactKey: string): void;
  log?: RetryLog;
  random?: () => number;
}) {
  const policy = { ...DEFAULT_RETRY, ...opts.policy };
  const random = opts.random ?? Math.random;
  const failures = new Map<string, { count: number; timer?: NodeJS.Timeout }>();
  let stopped = false;

  const delayFor = (count: number) => {
    const full = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (count - 1));
    // jittered, so that the senders of one outage do not all come back in the same instant
    return Math.round(full * (0.75 + random() * 0.25));
  };

  return {
    failed(contactKey: string, err: unknown): void {
      if (stopped) return;
      const entry = failures.get(contactKey) ?? { count: 0 };
      entry.count++;
      clearTimeout(entry.timer);
      const contact = maskPhone(contactKey);
      if (!isTransient(err) && entry.count >= policy.triesUnknown) {
        failures.delete(contactKey);
        opts.log?.error(
          { contact, err, tries: entry.count },
          'conversation: handling keeps failing; the messages wait for the next one or a restart',
        );
        return;
      }
      const delayMs = delayFor(entry.count);
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        opts.again(contactKey);
      }, delayMs);
      entry.timer.unref();
      failures.set(contactKey, entry);
      opts.log?.warn(
        { contact, err, tries: entry.count, retryInMs: delayMs },
        'conversation: will try again',
      );
    },
    succeeded(contactKey: string): void {
      const entry = failures.get(contactKey);
      if (!entry) return;
      clearTimeout(entry.timer);
      failures.delete(contactKey);
    },
    /** senders waiting for another try (for /metrics and tests) */
    waiting(): number {
      return failures.size;
    },
    stop(): void {
      stopped = true;
      for (const entry of failures.values()) clearTimeout(entry.timer);
      failures.clear();
    },
  };
}
