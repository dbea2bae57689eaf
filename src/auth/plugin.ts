import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/index.js';
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

/** Answers 401 for no or unknown key, 403 for a key whose role may not do this. */
export function requireRole(db: Db, ...roles: Role[]): onRequestAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const key = bearer(request);
    const holder = key ? await findApiKey(db, key) : null;
    if (!holder) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({
        error: 'Unauthorized',
        message: 'A valid API key is required (Authorization: Bearer <key>)',
      });
    }
    request.apiKey = holder;
    if (!roles.includes(holder.role)) {
      return reply.code(403).send({
        error: 'Forbidden',
        message: `This needs the ${roles.join(' or ')} role; the key has ${holder.role}`,
      });
    }
  };
}

/** Registers requireRole on every route of the encapsulated scope it is registered in. */
export const roleGuard = fp<{ db: Db; roles: Role[] }>(
  async (scope, opts) => {
    // onRequest: an unknown caller learns nothing, not even whether its body would have been valid
    scope.addHook('onRequest', requireRole(opts.db, ...opts.roles));
  },
  { name: 'role-guard', encapsulate: false },
);
