// What kind of failure an error is, wherever it was thrown: a server that is away for a moment (PostgreSQL,
// Redis: try again later and it will work) or one item's data that no server will ever take (a date out of
// range, JSON nested too deep: trying again changes nothing). Callers decide from the kind; an error of
// neither kind is an unknown, and unknowns are retried, never dropped.

// SQLSTATE: connection exceptions (08…), the server shutting down or starting (57P01–57P03), too many
// connections, serialisation failures and deadlocks, a lock or a statement timing out.
const TRANSIENT_SQLSTATE = /^(08|57P0[123]$|53300$|40001$|40P01$|55P03$|57014$)/;
// SQLSTATE classes of one statement's data: data exceptions (22…), program limits such as stack depth (54…).
const DATA_SQLSTATE = /^(22|54)/;
// Sockets (PostgreSQL and Redis alike) and postgres.js's own connection codes. CONNECTION_ENDED is left out:
// it means this process closed its pool, and nothing will work again.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);
// ioredis, with no error codes of its own: a command given up on while Redis is away or too slow.
const TRANSIENT_REDIS = [
  /^Connection is closed/,
  /^Stream isn't writeable/,
  /^Command timed out/,
  /^Reached the max retries per request limit/,
];

/** Something this work needs is not to be had now (a lock held elsewhere, a server away): try again later. */
export class TemporarilyUnavailableError extends Error {
  override readonly name = 'TemporarilyUnavailableError';
}

/** The error and its causes (drizzle wraps the driver's error in `cause`), outermost first. */
function* chain(err: unknown): Generator<Record<string, unknown>> {
  let current = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    yield current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
}

const codeOf = (e: Record<string, unknown>): string | undefined =>
  typeof e.code === 'string' ? e.code : undefined;

/**
 * The SQLSTATE of an error the database server sent: postgres.js's PostgresError and PGlite's DatabaseError
 * both carry the server's `severity` beside its five-character code.
 */
const sqlstateOf = (e: Record<string, unknown>): string | undefined => {
  const code = codeOf(e);
  return code && typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/** PostgreSQL or Redis away, or a connection lost: the same work is expected to succeed later. */
export function isTransient(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e instanceof TemporarilyUnavailableError) return true;
    const code = codeOf(e);
    if (code && TRANSIENT_CODES.has(code)) return true;
    const sqlstate = sqlstateOf(e);
    if (sqlstate && TRANSIENT_SQLSTATE.test(sqlstate)) return true;
    if (e.name === 'MaxRetriesPerRequestError') return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (TRANSIENT_REDIS.some((pattern) => pattern.test(message))) return true;
  }
  return false;
}

/** One item's data that cannot be stored as it is, by any server, however often it is tried. */
export function isBadData(err: unknown): boolean {
  for (const e of chain(err)) {
    // JavaScript's own: an invalid Date's toISOString, JSON too deep for JSON.stringify
    if (e instanceof RangeError) return true;
    const sqlstate = sqlstateOf(e);
    if (sqlstate && DATA_SQLSTATE.test(sqlstate)) return true;
  }
  return false;
}
