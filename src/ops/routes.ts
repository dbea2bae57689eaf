import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError, errorResponse, msg } from '../errors/index.js';
import type { Metrics } from '../metrics.js';

export interface OpsOptions {
  metrics: Metrics;
  /** each named dependency that must answer for the service to be ready */
  checks: Record<string, () => Promise<unknown>>;
  queueDepth?: () => Promise<unknown>;
}

export const opsRoutes: FastifyPluginAsync<OpsOptions> = async (app, opts) => {
  // no key: a load balancer and Prometheus ask these
  const open = { tags: ['operations'], security: [] };
  app.get('/healthz', { schema: { ...open, summary: 'Liveness' } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    {
      schema: {
        ...open,
        summary: 'Readiness: database and Redis reachable',
        errors: {
          503: errorResponse('Not ready: checks names each server and what it answered', {
            status: z.literal('not ready'),
            checks: z.record(z.string(), z.string()),
          }),
        },
      },
    },
    async () => {
      const results: Record<string, string> = {};
      await Promise.all(
        Object.entries(opts.checks).map(async ([name, check]) => {
          try {
            await Promise.race([
              check(),
              new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
            ]);
            results[name] = 'ok';
          } catch (err) {
            results[name] = err instanceof Error ? err.message : 'unreachable';
          }
        }),
      );
      if (Object.values(results).every((r) => r === 'ok')) return { status: 'ready', checks: results };
      throw new AppError('unavailable', msg('server.not_ready'), {
        details: { status: 'not ready', checks: results },
      });
    },
  );

  app.get('/metrics', { schema: { ...open, summary: 'Prometheus metrics' } }, async (_request, reply) => {
    await opts.queueDepth?.().catch(() => undefined);
    return reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
};
