import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type CallerLimit, tooManyRequests } from './auth/index.js';
import type { Config } from './config.js';

// The request budgets of the HTTP API and the pages, each its own counter, on the one @fastify/rate-limit
// registration in app.ts (Redis when there is one). Its `groupId` is read only from a route's own config,
// so scopes that share a limiter share a counter; here each budget is a limiter of its own and each key
// names what it counts. An API key is counted by its id, never its secret; anything else by the client
// address, which TRUST_PROXY makes the real one behind a reverse proxy. The webhook has its own limit,
// per sender (webhook/sender-limit.ts).

const MINUTE = 60_000;

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

const addressOf = (request: FastifyRequest) => normalizeIP(request.ip);

/** seconds to wait when this answer of the limiter is past its budget, else null */
async function refusal(answer: ReturnType<Limiter>): Promise<number | null> {
  const a = await answer;
  return !a.isAllowed && a.isExceeded ? Math.max(1, a.ttlInSeconds) : null;
}

export interface RequestLimits {
  /** for the role guard of every /api scope: one budget per key across the API */
  api: CallerLimit;
  /** an onRequest hook for the pages (inbox, dashboard, simulator and their files), per address */
  pages(request: FastifyRequest): Promise<void>;
}

export function requestLimits(app: FastifyInstance, limits: Config['rateLimits']): RequestLimits {
  const api = app.createRateLimit({
    max: limits.apiPerMinute,
    timeWindow: MINUTE,
    keyGenerator: (request) =>
      request.apiKey ? `api:key:${request.apiKey.id}` : `api:ip:${addressOf(request)}`,
  });
  const pages = app.createRateLimit({
    max: limits.pagesPerMinute,
    timeWindow: MINUTE,
    keyGenerator: (request) => `pages:ip:${addressOf(request)}`,
  });
  return {
    api: {
      // before the key is known, the limiter keys on the address: read it without counting
      beforeKey: (request) => refusal(api(request, { increment: false })),
      count: (request) => refusal(api(request)),
    },
    async pages(request) {
      const wait = await refusal(pages(request));
      if (wait !== null) throw tooManyRequests(wait);
    },
  };
}
