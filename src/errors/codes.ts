import { STATUS_CODES } from 'node:http';

// Every error the service answers has one of these codes; the code alone decides the HTTP status and the
// headers that go with it, here and nowhere else.

export interface CodeAnswer {
  status: number;
  headers?: Record<string, string>;
  /** Retry-After in seconds, unless the error gives its own */
  retryAfter?: number;
}

const CODES = {
  /** the request's fields are wrong: `issues` names each one */
  invalid_request: { status: 400 },
  /** the body cannot be read at all (not JSON, a broken CSV) */
  bad_request: { status: 400 },
  /** no API key, or one that is unknown or revoked */
  unauthorized: { status: 401, headers: { 'www-authenticate': 'Bearer' } },
  /** a webhook whose X-Hub-Signature-256 is missing or wrong */
  bad_signature: { status: 401 },
  forbidden: { status: 403 },
  not_found: { status: 404 },
  /** the thing exists but is in a state that refuses this (`reason` says which) */
  conflict: { status: 409 },
  payload_too_large: { status: 413 },
  unsupported_media_type: { status: 415 },
  /** past a budget; Retry-After gives the seconds */
  rate_limited: { status: 429 },
  internal: { status: 500 },
  /** a server this needs is away for a moment; Retry-After gives the seconds */
  unavailable: { status: 503, retryAfter: 5 },
} satisfies Record<string, CodeAnswer>;

export type ErrorCode = keyof typeof CODES;
export const ERROR_CODES: Record<ErrorCode, CodeAnswer> = CODES;

export const statusOf = (code: ErrorCode): number => ERROR_CODES[code].status;

/** The HTTP status text (`Not Found`): the body's `error`, in English whatever the caller's language. */
export const statusText = (status: number): string => STATUS_CODES[status] ?? 'Error';

/** The code of a client error some other part (Fastify, a plugin) answered with a bare status. */
export function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 404:
      return 'not_found';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return 'bad_request';
  }
}
