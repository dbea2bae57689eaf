import type { FastifyError, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isTransient } from '../faults.js';
import { AppError, answerOf } from './app-error.js';
import { codeOfStatus, type ErrorCode } from './codes.js';
import { invalidRequest } from './issues.js';
import { type Language, languageOf } from './language.js';
import { type Message, msg } from './messages.js';
import { documentErrors } from './schemas.js';

// The one place an error becomes an answer: whatever a route, a hook, a parser or Fastify itself threw is
// turned into an AppError and answered in its shape, in the caller's language.

/** The AppError that `err` is answered as; logs the faults of the service on the way. */
function asAppError(err: FastifyError | Error, request: FastifyRequest, language: Language): AppError {
  if (err instanceof AppError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) return invalidRequest(err, request, language);
  if (isTransient(err)) {
    // PostgreSQL or Redis away for a moment: a client that tries again later is answered
    request.log.warn({ err }, 'request failed: a server it needs is unavailable');
    return new AppError('unavailable', msg('server.unavailable'), { cause: err });
  }
  const status = (err as Partial<FastifyError>).statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Fastify's and its plugins' own client errors: malformed JSON, a body too large, a media type
    const code = codeOfStatus(status);
    if (code === 'not_found') return notFound(request);
    return new AppError(code, clientMessage(code, err.message), { cause: err });
  }
  // details of a server fault stay in the log, never in the answer
  request.log.error({ err }, 'request failed');
  return new AppError('internal', msg('server.internal'), { cause: err });
}

function clientMessage(code: ErrorCode, detail: string): Message {
  switch (code) {
    case 'payload_too_large':
      return msg('request.too_large', { detail });
    case 'unsupported_media_type':
      return msg('request.media_type', { detail });
    case 'bad_request':
      return msg('request.unreadable', { detail });
    default:
      return msg('request.refused', { detail });
  }
}

const notFound = (request: FastifyRequest) =>
  new AppError('not_found', msg('route.not_found', { method: request.method, url: request.url }));

export function answerError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const language = languageOf(request.headers['accept-language']);
  const answer = answerOf(asAppError(err, request, language), language);
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** What any route can meet: a server fault, and (taking input) a request that cannot be read or is wrong. */
function commonErrors(route: RouteOptions): ErrorCode[] {
  const codes: ErrorCode[] = ['internal', 'unavailable'];
  const methods = ([] as string[]).concat(route.method);
  const takesBody = methods.some((m) => m !== 'GET' && m !== 'HEAD');
  const schema = route.schema as { querystring?: unknown; params?: unknown } | undefined;
  if (takesBody || schema?.querystring || schema?.params) codes.push('invalid_request');
  if (takesBody) codes.push('payload_too_large', 'unsupported_media_type');
  return codes;
}

/**
 * Registered first on the root: the error and not-found handlers of the whole service, and the common
 * errors added to every route's documented responses.
 */
export const errorHandling = fp(
  async (app) => {
    app.setErrorHandler(answerError);
    app.setNotFoundHandler((request, reply) => answerError(notFound(request), request, reply));
    app.addHook('onRoute', (route) => documentErrors(route, commonErrors(route)));
  },
  { name: 'error-handling' },
);
