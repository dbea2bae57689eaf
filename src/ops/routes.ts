import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface OpsOptions {
  metrics: Metrics;
  /** each named dependency that must answer for the service to be ready */
  checks: Record<string, () => Promise<unknown>>;
  queueDepth?: () => Promise<unknown>;
}

export const opsRoutes: FastifyPluginAsync<OpsOptions> = async (app, opts) => {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness' } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Readiness: database and Redis reachable' } },
    async (_request, reply) => {
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
      const ready = Object.values(results).every((r) => r === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: results });
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      await opts.queueDepth?.().catch(() => undefined);
      return reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
    },
  );
};
