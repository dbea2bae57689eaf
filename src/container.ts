import pino, { type Logger } from 'pino';
import { type App, buildApp } from './app.js';
import { ensureBootstrapAdmin } from './auth/index.js';
import { type CampaignRunner, createCampaignRunner } from './campaigns/index.js';
import type { Config } from './config.js';
import {
  type ConversationEngine,
  createConversationEngine,
  createMemoryStateStore,
  createRedisStateStore,
  type EngineDeps,
  type StateStore,
} from './conversations/index.js';
import { type Database, openDatabase } from './db/index.js';
import { createDesk, createHandoffJobs, type Desk, type HandoffJobs } from './handoff/index.js';
import { createTranslator } from './i18n/index.js';
import { loggerOptions } from './logger.js';
import type { RecordedInbound } from './messages/index.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createOutbound, type Outbound, type OutboundDeps } from './outbound/index.js';
import { FAIL_FAST_REDIS, openRedis, STATE_REDIS } from './redis.js';
import { resolveSecrets, type Secrets } from './secrets.js';
import { createSimulator, type Simulator } from './simulator/index.js';
import { type CloudApiClient, createCloudApiClient } from './whatsapp/index.js';

// Every part of the service, built once from the configuration: the service, the tests and the benchmarks
// all run this wiring, each choosing only what it must (a clock, a logger, an open database, quicker
// retries), so that what a test proves is what production runs.

/** Conversations idle this long are forgotten; the next message starts afresh at the router. */
const CONVERSATION_TTL_SECONDS = 24 * 3600;

export interface ContainerOptions {
  /** where log lines go; default: stdout at LOG_LEVEL */
  log?: Logger;
  /** an open, migrated database (tests make one per file); default: DATABASE_URL, else PGlite in DATA_DIR */
  database?: Database;
  /** the Cloud API's client; default: from WHATSAPP_*, or the built-in simulator without a token */
  client?: CloudApiClient;
  outbound?: Pick<OutboundDeps, 'retry' | 'sweepEveryMs' | 'followEveryMs' | 'statusLagMs'>;
  /** the engine's clock (office hours in tests) and how it retries a failed sender */
  engine?: Pick<EngineDeps, 'retry' | 'idleMs' | 'now'>;
  /** where recorded inbound messages go; default: the service's road (`handleInbound`) */
  onInbound?: (recorded: RecordedInbound[]) => Promise<void>;
  /** run the campaigns' and the handoff desk's loops on start (default); tests that drive them turn it off */
  background?: boolean;
  /** Prometheus' process metrics (CPU, memory); off where many containers share a process */
  defaultMetrics?: boolean;
}

export interface Container {
  config: Config;
  log: Logger;
  secrets: Secrets;
  database: Database;
  metrics: Metrics;
  client: CloudApiClient;
  /** the built-in WhatsApp, when there is no access token */
  simulator?: Simulator;
  outbound: Outbound;
  campaigns: CampaignRunner;
  desk: Desk;
  store: StateStore;
  engine: ConversationEngine;
  app: App;
  /** the admin key a newcomer can use: ADMIN_API_KEY, or the one generated for embedded mode */
  adminApiKey?: string;
  /** the service's road for recorded inbound messages: the handoff room's notice, then the engine */
  handleInbound(recorded: RecordedInbound[]): Promise<void>;
  /** starts sending, the loops (unless background is off) and answers senders the last run left waiting */
  start(): Promise<void>;
  /** stops taking requests, finishes what answered webhooks started, lets in-flight sends finish */
  stop(): Promise<void>;
}

export async function buildContainer(config: Config, opts: ContainerOptions = {}): Promise<Container> {
  const log = opts.log ?? pino(loggerOptions(config.logLevel));
  const secrets = resolveSecrets(config);
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics ?? true });
  const ownDatabase = !opts.database;
  const database =
    opts.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      migrate: true,
      poolSize: config.databasePoolSize,
    }));
  // The webhook records on connections of its own: a 200 must not queue for the pool behind the engine's
  // and the sender's work (PGlite is one connection anyway).
  const webhookDatabase =
    ownDatabase && config.databaseUrl
      ? await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 })
      : database;
  // Two connections, so that nothing a request waits for waits on Redis: the conversation state's, and the
  // rate limits' and readiness check's, which fails at once while Redis is away.
  const redis = config.redisUrl ? openRedis(config.redisUrl, 'state', STATE_REDIS, log) : null;
  const quickRedis = config.redisUrl ? openRedis(config.redisUrl, 'rate-limits', FAIL_FAST_REDIS, log) : null;
  const queueRedis = config.redisUrl ? { url: config.redisUrl, prefix: config.redisPrefix } : null;

  // In embedded mode with no ADMIN_API_KEY, a generated key kept in ./.data lets a newcomer try the API.
  const adminApiKey = config.adminApiKey ?? (config.databaseUrl ? undefined : secrets.demoAdminKey);
  if (adminApiKey && !(await ensureBootstrapAdmin(database.db, adminApiKey))) {
    log.warn('ADMIN_API_KEY was revoked (DELETE /api/keys/:id) and stays so: set a new value to use one');
  }

  const { simulator, client } = cloudApi(config, secrets, log, opts.client);
  const outbound = createOutbound({
    db: database.db,
    client,
    metrics,
    log,
    mps: config.whatsapp.mps,
    concurrency: config.whatsapp.sendConcurrency,
    sweepEveryMs: config.outboundSweepSeconds * 1000,
    ...opts.outbound,
    ...(queueRedis ? { redis: queueRedis } : {}),
  });
  // Made before outbound.start(): its pre-send guard must be in place before the start-up sweep sends
  // reminders left from the last run.
  const campaigns = createCampaignRunner({
    db: database.db,
    outbound,
    config,
    metrics,
    log,
    redis: queueRedis,
  });
  const store = redis
    ? createRedisStateStore({ redis, prefix: config.redisPrefix, ttlSeconds: CONVERSATION_TTL_SECONDS })
    : createMemoryStateStore({ ttlSeconds: CONVERSATION_TTL_SECONDS });
  const t = createTranslator();
  const desk = createDesk({ db: database.db, outbound, t, config });
  // The handoff room's own loop: idle handoffs go back to the bot (one process at a time in Redis mode).
  const handoffJobs: HandoffJobs = createHandoffJobs({
    desk,
    log,
    ...(queueRedis ? { redis: queueRedis } : {}),
  });
  const engine = createConversationEngine({
    db: database.db,
    outbound,
    store,
    t,
    dataKey: secrets.dataKey,
    config,
    log,
    ...opts.engine,
  });

  const handleInbound = async (recorded: RecordedInbound[]) => {
    const keys = recorded.map((r) => r.message.contact);
    // a return to the bot the participant could not be told of (window closed) is told first
    await desk
      .noticeOnInbound(keys)
      .catch((err: unknown) => log.warn({ err }, 'handoff return notice failed'));
    await engine.handle(keys);
  };

  const app = await buildApp({
    config,
    database,
    webhookDb: webhookDatabase.db,
    redis: quickRedis,
    redisPrefix: config.redisPrefix,
    outbound,
    desk,
    metrics,
    dataKey: secrets.dataKey,
    appSecret: secrets.appSecret,
    verifyToken: secrets.verifyToken,
    logger: log,
    ...(simulator ? { simulator } : {}),
    onInbound: opts.onInbound ?? handleInbound,
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

  const background = opts.background ?? true;
  let stopping: Promise<void> | null = null;
  return {
    config,
    log,
    secrets,
    database,
    metrics,
    client,
    ...(simulator ? { simulator } : {}),
    outbound,
    campaigns,
    desk,
    store,
    engine,
    app,
    ...(adminApiKey ? { adminApiKey } : {}),
    handleInbound,
    async start() {
      await app.ready();
      await outbound.start();
      if (background) {
        campaigns.start();
        await handoffJobs.start();
      }
      const recovered = await engine.recover();
      if (recovered > 0) log.info(`answered messages of ${recovered} senders left waiting by the last run`);
    },
    stop() {
      stopping ??= (async () => {
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
        if (ownDatabase) await database.close();
      })();
      return stopping;
    },
  };
}

/** The Cloud API, or without a token the simulator, which answers with signed webhooks once the app exists. */
function cloudApi(
  config: Config,
  secrets: Secrets,
  log: Logger,
  given: CloudApiClient | undefined,
): { simulator?: Simulator; client: CloudApiClient } {
  if (given) return { client: given };
  const { phoneNumberId, accessToken } = config.whatsapp;
  if (accessToken && phoneNumberId) {
    return { client: createCloudApiClient({ ...config.whatsapp, phoneNumberId, accessToken }) };
  }
  const simulator = createSimulator({ appSecret: secrets.appSecret, log: (line) => log.debug(line) });
  return { simulator, client: simulator.client };
}
