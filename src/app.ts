import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { keyRoutes, roleGuard } from './auth/index.js';
import { campaignRoutes } from './campaigns/index.js';
import type { Config } from './config.js';
import { dashboardPage, dashboardRoutes } from './dashboard/index.js';
import type { Database } from './db/index.js';
import { handoffRoutes, inboxPage } from './handoff/index.js';
import type { RecordedInbound } from './messages/index.js';
import type { Metrics } from './metrics.js';
import { opsRoutes } from './ops/routes.js';
import type { Outbound } from './outbound/index.js';
import { participantRoutes } from './participants/index.js';
import { type Simulator, simulatorPage, simulatorRoutes } from './simulator/index.js';
import { webhookRoutes } from './webhook/index.js';

export interface AppDeps {
  config: Config;
  database: Database;
  /** where webhooks are recorded before their 200 (a pool of its own in production); default: database */
  webhookDb?: Database['db'];
  /** shared Redis (rate limits across processes); null in embedded mode */
  redis: Redis | null;
  /** namespace of this deployment's keys in Redis (tests give each file its own) */
  redisPrefix?: string;
  outbound: Outbound;
  metrics: Metrics;
  /** the DATA_KEY that keys birth-date hashes */
  dataKey: string;
  /** the webhook's app secret and verify token (generated for the simulator in embedded mode) */
  appSecret: string;
  verifyToken: string;
  /** a pino logger (production, tests that read the log); none: no logging */
  logger?: FastifyServerOptions['loggerInstance'];
  onInbound?: (recorded: RecordedInbound[]) => Promise<void>;
  /** the built-in WhatsApp (embedded mode only): its page and routes exist only then */
  simulator?: Simulator;
}

export interface App extends FastifyInstance {
  /** resolves when the work started after webhooks were answered has finished */
  drainBackgroundWork(): Promise<void>;
}

/** Wires plugins and routes; does no I/O of its own, so tests build it with whatever deps they need. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((err, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      return reply.code(400).send({
        error: 'Bad Request',
        message: 'Invalid request',
        issues: err.validation.map((v) => ({
          path: `${err.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`,
          message: v.message ?? 'invalid',
        })),
      });
    }
    const { statusCode = 500, name = 'Error', message = '' } = err as Partial<FastifyError>;
    if (statusCode >= 500) {
      // details of a server fault stay in the log, never in the answer
      request.log.error({ err }, 'request failed');
      return reply.code(statusCode).send({ error: 'Internal Server Error', message: 'Something went wrong' });
    }
    return reply.code(statusCode).send({ error: name, message });
  });

  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    background.add(work);
    void work.finally(() => background.delete(work));
  };

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Tagih',
        description: 'Contribution reminders as WhatsApp conversations',
        version: '0.1.0',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(rateLimit, {
    global: false,
    ...(deps.redis ? { redis: deps.redis, nameSpace: `${deps.redisPrefix ?? 'tagih'}:rl:` } : {}),
  });

  await app.register(opsRoutes, {
    metrics: deps.metrics,
    checks: {
      database: () => deps.database.ping(),
      ...(deps.redis ? { redis: () => deps.redis!.ping() } : {}),
    },
    queueDepth: () => deps.outbound.depth(),
  });

  await app.register(webhookRoutes, {
    db: deps.webhookDb ?? deps.database.db,
    metrics: deps.metrics,
    appSecret: deps.appSecret,
    verifyToken: deps.verifyToken,
    perSenderPerMinute: deps.config.rateLimits.webhookPerSenderPerMinute,
    onInbound: deps.onInbound,
    track,
  });

  // The admin API. The rate limit comes first, on the client address, so that it also slows key guessing;
  // then the role check, before any body is read.
  await app.register(async (api) => {
    api.addHook(
      'onRequest',
      api.rateLimit({ max: deps.config.rateLimits.apiPerMinute, timeWindow: 60_000, groupId: 'api' }),
    );
    await api.register(roleGuard, { db: deps.database.db, roles: ['admin'] });
    await api.register(keyRoutes, { db: deps.database.db });
    await api.register(participantRoutes, { db: deps.database.db, dataKey: deps.dataKey });
    await api.register(campaignRoutes, { db: deps.database.db, config: deps.config, metrics: deps.metrics });
    await api.register(dashboardRoutes, { db: deps.database.db, config: deps.config });
  });

  // The agents' inbox: its API for agent and admin keys (its own rate-limit group, so polling agents do not
  // eat the admin budget), and the page itself, which holds no secret.
  await app.register(async (inbox) => {
    inbox.addHook(
      'onRequest',
      inbox.rateLimit({ max: deps.config.rateLimits.apiPerMinute, timeWindow: 60_000, groupId: 'inbox' }),
    );
    await inbox.register(roleGuard, { db: deps.database.db, roles: ['agent', 'admin'] });
    await inbox.register(handoffRoutes, {
      db: deps.database.db,
      outbound: deps.outbound,
      config: deps.config,
      metrics: deps.metrics,
    });
  });
  await app.register(inboxPage);
  await app.register(dashboardPage);
  if (deps.simulator) {
    await app.register(simulatorRoutes, { db: deps.database.db, simulator: deps.simulator });
    await app.register(simulatorPage);
  }

  const built = app as unknown as App;
  built.drainBackgroundWork = async () => {
    while (background.size > 0) await Promise.allSettled([...background]);
  };
  return built;
}
