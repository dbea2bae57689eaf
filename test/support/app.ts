import type { FastifyServerOptions } from 'fastify';
import { Redis } from 'ioredis';
import nock from 'nock';
import { type App, buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import {
  type ConversationEngine,
  createConversationEngine,
  createRedisStateStore,
  createTranslator,
  type StateStore,
} from '../../src/conversations/index.js';
import type { RecordedInbound } from '../../src/messages/index.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { createOutbound, type Outbound } from '../../src/outbound/index.js';
import { createCloudApiClient } from '../../src/whatsapp/index.js';
import {
  createTestDatabase,
  flushPrefix,
  TEST_REDIS_URL,
  type TestDatabase,
  testRedisPrefix,
} from './servers.js';
import { randomWamid, signedRequest } from './webhooks.js';

export const CLOUD_API = 'http://cloud.test';
export const PHONE_NUMBER_ID = '106540352242922';
export const APP_SECRET = 'test-app-secret';
export const VERIFY_TOKEN = 'test-verify-token';
export const ADMIN_KEY = 'admin-key-for-tests-0123456789';
export const DATA_KEY = 'a-data-key-for-tests-that-is-long-enough';

export interface TestApp {
  app: App;
  database: TestDatabase;
  redis: Redis;
  outbound: Outbound;
  metrics: Metrics;
  inbound: RecordedInbound[];
  engine: ConversationEngine;
  store: StateStore;
  prefix: string;
  close(): Promise<void>;
}

/** The environment of a test service on these servers, the Cloud API at CLOUD_API (intercept it with nock). */
export function testEnv(databaseUrl: string, redisUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    DATA_KEY,
    ADMIN_API_KEY: ADMIN_KEY,
    WHATSAPP_API_URL: CLOUD_API,
    WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
    WHATSAPP_ACCESS_TOKEN: 'test-token',
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
  };
}

/** Every body the (nock) Cloud API receives goes into `sent`; each is accepted with a new wamid. */
export function captureCloudApi(sent: object[]): void {
  nock(CLOUD_API)
    .persist()
    .post(/\/messages$/, (body: object) => {
      sent.push(body);
      return true;
    })
    .reply(200, () => ({ messaging_product: 'whatsapp', messages: [{ id: randomWamid() }] }));
}

/** A signed webhook as Meta posts it; answers its status once the work it started has finished. */
export async function postWebhook(app: App, payload: unknown): Promise<number> {
  const req = signedRequest(payload, APP_SECRET);
  const res = await app.inject({
    method: 'POST',
    url: '/webhooks/whatsapp',
    headers: req.headers,
    payload: req.body,
  });
  await app.drainBackgroundWork();
  return res.statusCode;
}

/** The whole app on real PostgreSQL and Redis, with the Cloud API at CLOUD_API (intercept it with nock). */
export async function startTestApp(
  opts: {
    env?: Record<string, string>;
    onInbound?: (r: RecordedInbound[]) => Promise<void>;
    logger?: FastifyServerOptions['loggerInstance'];
    /** run the real conversation engine on inbound messages (with a Redis state store) */
    conversations?: boolean;
    now?: () => Date;
    /** how often the sender looks for queued rows without a job (default: the service's) */
    sweepEveryMs?: number;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const prefix = testRedisPrefix();
  const redis = new Redis(TEST_REDIS_URL!, { maxRetriesPerRequest: null, keyPrefix: undefined });
  const config = loadConfig({
    ...testEnv(database.url, TEST_REDIS_URL!),
    ...opts.env,
  });
  const metrics = createMetrics();
  const client = createCloudApiClient({
    apiUrl: CLOUD_API,
    apiVersion: config.whatsapp.apiVersion,
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: 'test-token',
    timeoutMs: 2000,
  });
  const outbound = createOutbound({
    db: database.db,
    client,
    metrics,
    ...(opts.logger ? { log: opts.logger } : {}),
    mps: config.whatsapp.mps,
    redis: { url: TEST_REDIS_URL!, prefix },
    retry: { attempts: 5, baseDelayMs: 20 },
    ...(opts.sweepEveryMs ? { sweepEveryMs: opts.sweepEveryMs } : {}),
  });
  const inbound: RecordedInbound[] = [];
  const store = createRedisStateStore({ redis, prefix, ttlSeconds: 3600 });
  const engine = createConversationEngine({
    db: database.db,
    outbound,
    store,
    t: createTranslator(),
    dataKey: DATA_KEY,
    config,
    ...(opts.now ? { now: opts.now } : {}),
    // a sender whose handling failed is tried again soon: tests wait seconds, not minutes
    retry: { firstDelayMs: 100, maxDelayMs: 2000 },
  });
  const { ensureBootstrapAdmin } = await import('../../src/auth/index.js');
  await ensureBootstrapAdmin(database.db, ADMIN_KEY);
  const app = await buildApp({
    config,
    database,
    redis,
    redisPrefix: prefix,
    outbound,
    metrics,
    dataKey: DATA_KEY,
    appSecret: APP_SECRET,
    verifyToken: VERIFY_TOKEN,
    logger: opts.logger,
    onInbound:
      opts.onInbound ??
      (async (r) => {
        inbound.push(...r);
        if (opts.conversations) await engine.handle(r.map((x) => x.message.contact));
      }),
  });
  await app.ready();
  await outbound.start();
  return {
    app,
    database,
    redis,
    outbound,
    metrics,
    inbound,
    engine,
    store,
    prefix,
    close: async () => {
      await app.close();
      await app.drainBackgroundWork();
      engine.stop();
      await outbound.close();
      await flushPrefix(redis, prefix);
      await redis.quit();
      await database.close();
    },
  };
}

export const adminHeaders = { authorization: `Bearer ${ADMIN_KEY}` };
