import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
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
import { errorHandling } from './errors/index.js';
import { type Desk, handoffRoutes, inboxPage } from './handoff/index.js';
import { requestLimits } from './limits.js';
import type { RecordedInbound } from './messages/index.js';
import type { Metrics } from './metrics.js';
import { opsRoutes } from './ops/routes.js';
import type { Outbound } from './outbound/index.js';
import { participantRoutes } from './participants/index.js';
import { type Simulator, simulatorPage, simulatorRoutes } from './simulator/index.js';
import { createSenderLimit, webhookRoutes } from './webhook/index.js';

export interface AppDeps {
  config: Config;
  database: Database;
  /** where webhooks are recorded before their 200 (a pool of its own in production); default: database */
  webhookDb?: Database['db'];
  /**
   * shared Redis for the rate limits across processes and the readiness check; null in embedded mode. Give
   * it a connection that fails fast (redis.ts, FAIL_FAST_REDIS): a request must never wait for Redis.
   */
  redis: Redis | null;
  /** namespace of this deployment's keys in Redis (tests give each file its own) */
  redisPrefix?: string;
  outbound: Outbound;
  /** the handoff room's desk, the one the service's loops use */
  desk: Desk;
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
    // the client address (rate limits) is X-Forwarded-For's only behind a proxy we were told to trust
    trustProxy: deps.config.trustProxy,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // first: its handlers answer every error, and its onRoute hook documents them on each route below
  await app.register(errorHandling);

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

  const rateLimitPrefix = `${deps.redisPrefix ?? 'tagih'}:rl:`;
  // A limit Redis cannot count is skipped: a webhook or an API call never waits for Redis to come back.
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    ...(deps.redis ? { redis: deps.redis, nameSpace: rateLimitPrefix } : {}),
  });
  const limits = requestLimits(app, deps.config.rateLimits);

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
    senderLimit: createSenderLimit({
      redis: deps.redis,
      prefix: rateLimitPrefix,
      perMinute: deps.config.rateLimits.webhookPerSenderPerMinute,
      secret: deps.dataKey,
    }),
    onInbound: deps.onInbound,
    track,
  });

  // The admin API. The role guard counts each request against the caller's budget (limits.ts) once it
  // knows the key, and checks the role before any body is read.
  await app.register(async (api) => {
    await api.register(roleGuard, { db: deps.database.db, roles: ['admin'], limit: limits.api });
    await api.register(keyRoutes, { db: deps.database.db });
    await api.register(participantRoutes, {
      db: deps.database.db,
      dataKey: deps.dataKey,
      timeZone: deps.config.businessTz,
    });
    await api.register(campaignRoutes, { db: deps.database.db, config: deps.config, metrics: deps.metrics });
    await api.register(dashboardRoutes, { db: deps.database.db, config: deps.config });
  });

  // The agents' inbox API, for agent and admin keys; the same budget per key as the rest of the API.
  await app.register(async (inbox) => {
    await inbox.register(roleGuard, { db: deps.database.db, roles: ['agent', 'admin'], limit: limits.api });
    await inbox.register(handoffRoutes, { desk: deps.desk, metrics: deps.metrics });
  });

  // The pages hold no secret (the officer types a key); their own budget per address, so an office behind
  // one address opening the inbox does not eat the API's.
  await app.register(async (pages) => {
    pages.addHook('onRequest', limits.pages);
    await pages.register(inboxPage);
    await pages.register(dashboardPage);
    if (deps.simulator) await pages.register(simulatorPage);
  });
  if (deps.simulator) {
    await app.register(simulatorRoutes, { db: deps.database.db, simulator: deps.simulator });
  }

  const built = app as unknown as App;
  built.drainBackgroundWork = async () => {
    while (background.size > 0) await Promise.allSettled([...background]);
  };
  return built;
}
