export type FailureKind = 'retryable' | 'permanent' | 'window-closed';

/** Why a Cloud API call failed, with no secret in it: safe to log and to store. */
export interface CloudApiFailure {
  kind: FailureKind;
  code: number | null;
  title: string;
  httpStatus?: number;
  timedOut: boolean;
  /** Graph `error.error_data.details`: Meta says to build handling on code + details. */
  details?: string;
}

export interface FailureInput {
  httpStatus?: number;
  code?: number | null;
  isTransient?: boolean;
  network?: boolean;
  timedOut?: boolean;
}

/** Codes worth retrying in the sender's own retry loop: Meta's advice for each is to wait and retry. */
export const RETRYABLE_CODES: ReadonlySet<number> = new Set([
  2, // temporary downtime or overload
  4, // app-level Graph rate limit
  80007, // WABA-level rate limit
  130429, // throughput reached
  131000, // unknown error, "try again"
  131016, // service temporarily unavailable
  131056, // pair rate limit: back off for this recipient only
  131057, // account in maintenance mode (throughput upgrade, about a minute)
  133004, // server temporarily unavailable
]);

export const WINDOW_CLOSED_CODE = 131047;
export const PAIR_RATE_LIMIT_CODE = 131056;

/**
 * Meta: "build your app's error handling logic around `code` values ... instead of HTTP response status
 * codes". So a Graph code decides when there is one; the HTTP status only decides for code-less replies.
 * 131049 (per-user marketing limit, "retry after 24 h") is permanent here: the campaign layer, not the
 * sender's immediate retry loop, reschedules it.
 */
export function classifyFailure(input: FailureInput): FailureKind {
  if (input.network || input.timedOut) return 'retryable';
  const code = typeof input.code === 'number' ? input.code : null;
  if (code === WINDOW_CLOSED_CODE) return 'window-closed';
  if (code !== null && RETRYABLE_CODES.has(code)) return 'retryable';
  if (input.isTransient === true) return 'retryable';
  if (code !== null) return 'permanent';
  const status = input.httpStatus;
  if (status === undefined) return 'permanent';
  return status >= 500 || status === 429 ? 'retryable' : 'permanent';
}

/** 131056 throttles one recipient only: back off for that contact and keep sending to everyone else. */
export function isPairRateLimit(f: Pick<CloudApiFailure, 'code'>): boolean {
  return f.code === PAIR_RATE_LIMIT_CODE;
}
