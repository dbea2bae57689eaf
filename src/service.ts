import pino, { type DestinationStream } from 'pino';
import { type App, buildApp } from './app.js';
import { ensureBootstrapAdmin } from './auth/index.js';
import { createCampaignRunner } from './campaigns/index.js';
import type { Config } from './config.js';
import {
  createConversationEngine,
  createMemoryStateStore,
  createRedisStateStore,
} from './conversations/index.js';
import { type Database, openDatabase } from './db/index.js';
import { createDesk, createHandoffJobs } from './handoff/index.js';
import { createTranslator } from './i18n/index.js';
import { loggerOptions } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createOutbound, type Outbound } from './outbound/index.js';
import { FAIL_FAST_REDIS, openRedis, STATE_REDIS } from './redis.js';
import { resolveSecrets, type Secrets } from './secrets.js';
import { createSimulator, type Simulator } from './simulator/index.js';
import { type CloudApiClient, createCloudApiClient } from './whatsapp/index.js';

export interface Service {
  app: App;
  database: Database;
  outbound: Outbound;
  metrics: Metrics;
  client: CloudApiClient;
  /** the built-in WhatsApp, when it is the Cloud API (no access token) */
  simulator?: Simulator;
  address: string;
  /** the admin key a newcomer can use: ADMIN_API_KEY, or the one generated for embedded mode */
  adminApiKey?: string;
  secrets: Secrets;
  stop(): Promise<void>;
}

/** One line that says which parts run embedded and which variable switches each to production. */
export function describeMode(config: Config): string {
  const parts = [
    config.databaseUrl
      ? 'database PostgreSQL'
      : `database PGlite in ${config.dataDir} (set DATABASE_URL for PostgreSQL)`,
    config.redisUrl ? 'state and queues on Redis' : 'state and queues in-process (set REDIS_URL for Redis)',
    config.whatsapp.accessToken
      ? `outbound to the Cloud API at ${config.whatsapp.apiUrl}`
      : 'outbound to the built-in simulator (set WHATSAPP_ACCESS_TOKEN for the Cloud API)',
  ];
  const embedded = !config.databaseUrl || !config.redisUrl || !config.whatsapp.accessToken;
  return `${embedded ? 'Embedded mode' : 'Production mode'}: ${parts.join('; ')}`;
}

/** Conversations idle this long are forgotten; the next message starts afresh at the router. */
const CONVERSATION_TTL_SECONDS = 24 * 3600;

export async function startService(
  config: Config,
  opts: {
    listen?: boolean;
    /** where log lines go; default stdout */
    logDestination?: DestinationStream;
  } = {},
): Promise<Service> {
  const log = opts.logDestination
    ? pino(loggerOptions(config.logLevel), opts.logDestination)
    : pino(loggerOptions(config.logLevel));
  const secrets = resolveSecrets(config);
  const metrics = createMetrics({ defaultMetrics: true });
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    migrate: true,
    poolSize: config.databasePoolSize,
  });
  // The webhook records on connections of its own: a 200 must not queue for the pool behind the engine's
  // and the sender's work (PGlite is one connection anyway).
  const webhookDatabase = config.databaseUrl
    ? await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 })
    : database;
  // Two connections, so that nothing a request waits for waits on Redis: the conversation state's, and the
  // rate limits' and readiness check's, which fails at once while Redis is away.
  const redis = config.redisUrl ? openRedis(config.redisUrl, 'state', STATE_REDIS, log) : null;
  const quickRedis = config.redisUrl ? openRedis(config.redisUrl, 'rate-limits', FAIL_FAST_REDIS, log) : null;
  // In embedded mode with no ADMIN_API_KEY, a generated key kept in ./.data lets a newcomer try the API.
  const adminApiKey = config.adminApiKey ?? (config.databaseUrl ? undefined : secrets.demoAdminKey);
  if (adminApiKey && !(await ensureBootstrapAdmin(database.db, adminApiKey))) {
    log.warn('ADMIN_API_KEY was revoked (DELETE /api/keys/:id) and stays so: set a new value to use one');
  }

  const { phoneNumberId, accessToken } = config.whatsapp;
  // Without a token the simulator is the Cloud API: it answers with signed webhooks once the app exists.
  const simulator =
    accessToken && phoneNumberId
      ? undefined
      : createSimulator({ appSecret: secrets.appSecret, log: (line) => log.debug(line) });
  const client =
    accessToken && phoneNumberId
      ? createCloudApiClient({ ...config.whatsapp, phoneNumberId, accessToken })
      : simulator!.client;
  const outbound = createOutbound({
    db: database.db,
    client,
    metrics,
    log,
    mps: config.whatsapp.mps,
    concurrency: config.whatsapp.sendConcurrency,
    sweepEveryMs: config.outboundSweepSeconds * 1000,
    ...(config.redisUrl ? { redis: { url: config.redisUrl, prefix: config.redisPrefix } } : {}),
  });

  // Made before outbound.start(): its pre-send guard must be in place before the start-up sweep sends
  // reminders left from the last run.
  const campaigns = createCampaignRunner({
    db: database.db,
    outbound,
    config,
    metrics,
    log,
    redis: config.redisUrl ? { url: config.redisUrl, prefix: config.redisPrefix } : null,
  });

  const store = redis
    ? createRedisStateStore({ redis, prefix: config.redisPrefix, ttlSeconds: CONVERSATION_TTL_SECONDS })
    : createMemoryStateStore({ ttlSeconds: CONVERSATION_TTL_SECONDS });
  // The handoff room's own loop: idle handoffs go back to the bot (one process at a time in Redis mode).
  const handoffDesk = createDesk({ db: database.db, outbound, t: createTranslator(), config });
  const handoffJobs = createHandoffJobs({
    desk: handoffDesk,
    log,
    ...(config.redisUrl ? { redis: { url: config.redisUrl, prefix: config.redisPrefix } } : {}),
  });

  const engine = createConversationEngine({
    db: database.db,
    outbound,
    store,
    t: createTranslator(),
    dataKey: secrets.dataKey,
    config,
    log,
  });

  const app = await buildApp({
    config,
    database,
    webhookDb: webhookDatabase.db,
    redis: quickRedis,
    redisPrefix: config.redisPrefix,
    outbound,
    metrics,
    dataKey: secrets.dataKey,
    appSecret: secrets.appSecret,
    verifyToken: secrets.verifyToken,
    logger: log,
    ...(simulator ? { simulator } : {}),
    onInbound: async (recorded) => {
      const keys = recorded.map((r) => r.message.contact);
      // a return to the bot the participant could not be told of (window closed) is told first
      await handoffDesk
        .noticeOnInbound(keys)
        .catch((err: unknown) => log.warn({ err }, 'handoff return notice failed'));
      await engine.handle(keys);
    },
  });
  // the simulator's webhooks take the same road as Meta's: the signed bytes through the HTTP stack
  simulator?.attach(async (raw, signature) => {
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      payload: raw,
    });
    return res.statusCode;
  });
  await outbound.start();
  campaigns.start();
  await handoffJobs.start();
  const recovered = await engine.recover();
  if (recovered > 0) log.info(`answered messages of ${recovered} senders left waiting by the last run`);
  let address = '';
  if (opts.listen !== false) {
    address = await app.listen({ port: config.port, host: config.host });
    log.info(describeMode(config));
  }

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      // Stop taking requests, finish what answered webhooks started, then let in-flight sends finish.
      simulator?.close();
      await app.close();
      await app.drainBackgroundWork();
      engine.stop();
      await campaigns.stop();
      await handoffJobs.stop();
      await outbound.close();
      await store.close();
      await redis?.quit();
      await quickRedis?.quit();
      if (webhookDatabase !== database) await webhookDatabase.close();
      await database.close();
    })();
    return stopping;
  };
  return { app, database, outbound, metrics, client, simulator, address, adminApiKey, secrets, stop };
}
