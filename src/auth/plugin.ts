import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/index.js';
import { AppError, documentErrors, msg } from '../errors/index.js';
import { type ApiKeyHolder, findApiKey, type Role } from './keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the key's holder, once requireRole has accepted the request */
    apiKey?: ApiKeyHolder;
  }
}

const bearer = (request: FastifyRequest): string | null => {
  const header = request.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1]! : null;
};

/**
 * How many requests a caller may make, asked twice: before the key is looked up (an address past its budget
 * of requests without a valid key is refused whatever key it shows, so guessing keys learns nothing), and
 * after, with `request.apiKey` set when the key is valid (the request counts against that key's budget, or
 * else the address's). Each answers the seconds to wait, or null to go on.
 */
export interface CallerLimit {
  beforeKey(request: FastifyRequest): Promise<number | null>;
  count(request: FastifyRequest): Promise<number | null>;
}

/** The refusal past a limit: the seconds to wait in Retry-After and in words. */
export const tooManyRequests = (seconds: number) =>
  new AppError('rate_limited', msg('rate.limited', { seconds }), { retryAfter: seconds });

/** Refuses 429 past the caller's limit, 401 for no or unknown key, 403 for a key whose role may not do this. */
export function requireRole(db: Db, roles: Role[], limit?: CallerLimit): onRequestAsyncHookHandler {
  return async (request: FastifyRequest) => {
    const early = await limit?.beforeKey(request);
    if (early != null) throw tooManyRequests(early);
    const key = bearer(request);
    const holder = key ? await findApiKey(db, key) : null;
    if (holder) request.apiKey = holder;
    const wait = await limit?.count(request);
    if (wait != null) throw tooManyRequests(wait);
    if (!holder) throw new AppError('unauthorized', msg('auth.no_key'));
    if (!roles.includes(holder.role)) {
      throw new AppError('forbidden', msg('auth.role', { roles, role: holder.role }));
    }
  };
}

/** Registers requireRole on every route of the encapsulated scope it is registered in. */
export const roleGuard = fp<{ db: Db; roles: Role[]; limit?: CallerLimit }>(
  async (scope, opts) => {
    // onRequest: an unknown caller learns nothing, not even whether its body would have been valid
    scope.addHook('onRequest', requireRole(opts.db, opts.roles, opts.limit));
    // and so every route it guards documents what it answers
    scope.addHook('onRoute', (route) => documentErrors(route, ['unauthorized', 'forbidden', 'rate_limited']));
  },
  { name: 'role-guard', encapsulate: false },
);
