/**
 * How long a flow waits for an answer. A participant asked for a birth date or a KPJ may go and find their
 * card; one who writes again after an hour has moved on, and their words are no longer that answer.
 */
export const IDLE_MS = 60 * 60_000;

/**
 * Whether a message sent at `sentAt` comes `idleMs` or more after the one the waiting flow last answered
 * (sent at `lastAt`, ISO). Both are the participant's own times as WhatsApp gives them, so a message kept
 * waiting by an outage is judged by when it was written, not when it is handled. A conversation stored
 * before the time was kept never is: it expires with the state store's TTL.
 */
export function isIdle(lastAt: string | undefined, sentAt: Date, idleMs: number): boolean {
  if (lastAt === undefined) return false;
  const last = Date.parse(lastAt);
  return !Number.isNaN(last) && sentAt.getTime() - last >= idleMs;
}
