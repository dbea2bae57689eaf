import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type $ZodErrorMap, $ZodType, safeParse } from 'zod/v4/core';
import { AppError } from './app-error.js';
import type { Language } from './language.js';
import { msg } from './messages.js';

// A request whose fields the route's zod schema refuses: a 400 naming each field as `part.path.to.field`
// (see Issue), and saying what is wrong in the caller's language.

type Part = 'body' | 'querystring' | 'params' | 'headers';
/** an issue already in the caller's words */
type Said = { path: string; message: string };

interface ValidationFailure {
  validation: { instancePath: string; message?: string }[];
  validationContext?: string;
}

/** zod's own sentences by language; English is what the validation already said. */
const ZOD_LOCALE: Record<Language, $ZodErrorMap | null> = { en: null, id: z.locales.id().localeError };

export const issuePath = (part: string, path: readonly PropertyKey[]): string =>
  [part, ...path.map(String)].join('.');

/** `/template/name` (a JSON pointer, `/` at the root) as its steps */
const stepsOf = (pointer: string): string[] => pointer.split('/').filter((step) => step !== '');

const inputOf = (request: FastifyRequest, part: Part): unknown =>
  ({ body: request.body, querystring: request.query, params: request.params, headers: request.headers })[
    part
  ];

/**
 * The issues in the caller's language: the input is parsed again with zod's sentences in it. A message the
 * schema wrote itself (`must be 11 digits`) stays as written, since zod prefers it to a locale's.
 */
function issuesIn(language: Language, part: Part, request: FastifyRequest): Said[] | null {
  const localeError = ZOD_LOCALE[language];
  const schema = (request.routeOptions.schema as Partial<Record<Part, unknown>> | undefined)?.[part];
  if (!localeError || !(schema instanceof $ZodType)) return null;
  const parsed = safeParse(schema, inputOf(request, part), { error: localeError });
  if (parsed.success) return null;
  return parsed.error.issues.map((i) => ({ path: issuePath(part, i.path), message: i.message }));
}

export function invalidRequest(
  err: ValidationFailure,
  request: FastifyRequest,
  language: Language,
): AppError {
  const part = (err.validationContext ?? 'body') as Part;
  const issues =
    issuesIn(language, part, request) ??
    err.validation.map((v) => ({
      path: issuePath(part, stepsOf(v.instancePath)),
      message: v.message ?? 'invalid',
    }));
  const first = issues[0]!;
  const text = msg('request.invalid', { path: first.path, detail: first.message, more: issues.length - 1 });
  return new AppError('invalid_request', text, { issues });
}
