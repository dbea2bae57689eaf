import { ERROR_CODES, type ErrorCode, statusOf, statusText } from './codes.js';
import type { Language } from './language.js';
import { type Message, render } from './messages.js';

/**
 * The field a 400 names: where in the request (`body`, `querystring`, `params`, `headers`), then the
 * field's path inside it, dotted: `body.template.name`, `params.kpj`, `body.participants.3.phone`. The part
 * comes first because a field's name alone does not say whether to fix the URL, the query or the body; a
 * CSV body's header row is `body.header.<column>`.
 */
export interface Issue {
  path: string;
  /** a message to put in the caller's language, or one already in it (a schema's own words) */
  message: Message | string;
}

export interface AppErrorOptions {
  /** a stable word for why, that clients act on (`held`, `window_closed`); English, never translated */
  reason?: string;
  issues?: Issue[];
  /** more fields of the answer that a client reads (`assignedTo`, `reengage`, ...) */
  details?: Record<string, unknown>;
  /** seconds for Retry-After, where the code's own default does not fit */
  retryAfter?: number;
  cause?: unknown;
}

/** The one error the service answers with: a code (which decides the status) and a message not yet in words. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly reason: string | undefined;
  readonly issues: Issue[];
  readonly details: Record<string, unknown>;
  readonly retryAfter: number | undefined;

  constructor(
    readonly code: ErrorCode,
    readonly text: Message,
    options: AppErrorOptions = {},
  ) {
    // English in logs and wherever the error is read as an Error
    super(render(text, 'en'), options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options.reason;
    this.issues = options.issues ?? [];
    this.details = options.details ?? {};
    this.retryAfter = options.retryAfter ?? ERROR_CODES[code].retryAfter;
  }

  get statusCode(): number {
    return statusOf(this.code);
  }
}

/**
 * The body of every error answer. `issues` is always there (empty when no field is at fault), as the
 * participants API always answered it.
 */
export interface ErrorBody {
  error: string;
  message: string;
  reason?: string;
  issues: { path: string; message: string }[];
  [detail: string]: unknown;
}

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** What the caller is answered for `error`, in `language`. */
export function answerOf(error: AppError, language: Language): ErrorAnswer {
  const status = error.statusCode;
  const headers: Record<string, string> = { ...ERROR_CODES[error.code].headers };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  const words = (m: Message | string) => (typeof m === 'string' ? m : render(m, language));
  return {
    status,
    headers,
    body: {
      ...error.details,
      error: statusText(status),
      message: render(error.text, language),
      ...(error.reason === undefined ? {} : { reason: error.reason }),
      issues: error.issues.map((i) => ({ path: i.path, message: words(i.message) })),
    },
  };
}
