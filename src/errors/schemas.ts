import type { FastifySchema } from 'fastify';
import { z } from 'zod';
import { type ErrorCode, statusOf } from './codes.js';

// The error body as the OpenAPI document shows it. Routes declare the errors of their own (404, 409, a 400
// of a rule the schema cannot express) with `errorResponse`; the errors every route of a kind can meet
// (a body that cannot be read, no key, a server away) are added to each route by whoever answers them
// (`documentErrors`), so /docs leaves none out.

const issueSchema = z.object({
  path: z
    .string()
    .describe('where: body, querystring, params or headers, then the field, dotted (body.template.name)'),
  message: z.string(),
});

export const errorBodySchema = z.object({
  error: z.string().describe('the HTTP status text, in English'),
  message: z
    .string()
    .describe("what went wrong, in the caller's language (Accept-Language: id or en; default en)"),
  reason: z.string().optional().describe('a stable word for why, where clients act on it'),
  issues: z.array(issueSchema).describe('the fields that are wrong; empty when no field is at fault'),
});

/** An error answer of one route: the common body, with `extra` fields it carries, and what it means. */
export function errorResponse<T extends z.ZodRawShape>(description: string, extra?: T) {
  return (extra ? errorBodySchema.extend(extra) : errorBodySchema).describe(description);
}

/** What the errors that whole kinds of routes share mean, by the code that answers them. */
const COMMON: Partial<Record<ErrorCode, string>> = {
  invalid_request: 'The request cannot be read, or its fields are wrong (issues name them)',
  unauthorized: 'No API key, or one that is unknown or revoked',
  forbidden: "The key's role may not do this",
  payload_too_large: 'The body is larger than this route takes',
  unsupported_media_type: 'A Content-Type this route does not read',
  rate_limited: "Past the caller's budget of requests: Retry-After gives the seconds to wait",
  internal: 'A fault of the service; its details stay in its log',
  unavailable: 'A server this needs is away for a moment: Retry-After gives the seconds to wait',
};

declare module 'fastify' {
  interface FastifySchema {
    /**
     * The errors this route throws of its own, by status (`errorResponse`); they join the route's
     * documented responses, apart from `response`, whose types say what a handler sends.
     */
    errors?: Record<number, z.ZodType>;
  }
}

/**
 * Documents a route's own `errors` and the answers of `codes` among its responses, leaving those it
 * declares itself; a route that documents no success gets a `2xx` of any shape, so that its success is not
 * lost from /docs.
 */
export function documentErrors(route: { schema?: FastifySchema }, codes: ErrorCode[]): void {
  const { errors, ...schema }: FastifySchema & { hide?: boolean } = route.schema ?? {};
  if (schema.hide) return;
  const response: Record<string, unknown> = {
    ...(schema.response as Record<string, unknown> | undefined),
    ...errors,
  };
  if (!Object.keys(response).some((status) => status.startsWith('2'))) response['2xx'] = z.unknown();
  for (const code of codes) {
    const status = String(statusOf(code));
    response[status] ??= errorResponse(COMMON[code] ?? code);
  }
  route.schema = { ...schema, response };
}
