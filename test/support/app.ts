import { count, inArray } from 'drizzle-orm';
import { Redis } from 'ioredis';
import nock from 'nock';
import { type Logger, pino } from 'pino';
import type { App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { buildContainer, type Container } from '../../src/container.js';
import type { ConversationEngine, StateStore } from '../../src/conversations/index.js';
import { messages } from '../../src/db/index.js';
import type { Desk } from '../../src/handoff/index.js';
import type { RecordedInbound } from '../../src/messages/index.js';
import type { Metrics } from '../../src/metrics.js';
import type { Outbound } from '../../src/outbound/index.js';
import { createCloudApiClient } from '../../src/whatsapp/index.js';
import {
  flushPrefix,
  hasServers,
  openTestDatabase,
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
  /** the test file's Redis (its keys under `prefix`); null on the in-process adapters */
  redis: Redis | null;
  outbound: Outbound;
  desk: Desk;
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

/**
 * The service's own wiring (src/container.ts) on this file's database and Redis prefix, with the Cloud API
 * at CLOUD_API (intercept it with nock). Without TEST_DATABASE_URL and TEST_REDIS_URL it runs on PGlite in
 * memory and the in-process queue and state, as embedded mode does. The campaigns' and the desk's loops
 * stay off unless asked for: the tests that need them drive them.
 */
export async function startTestApp(
  opts: {
    env?: Record<string, string>;
    /** where recorded inbound messages go instead (they are kept in `inbound` either way) */
    onInbound?: (r: RecordedInbound[]) => Promise<void>;
    logger?: Logger;
    /** recorded inbound messages take the service's road: the handoff notice, then the engine */
    conversations?: boolean;
    /** the engine's clock */
    now?: () => Date;
    /** how often the sender looks for queued rows without a job (default: the service's) */
    sweepEveryMs?: number;
    /** the campaigns' and the handoff desk's loops */
    background?: boolean;
  } = {},
): Promise<TestApp> {
  const database = await openTestDatabase();
  const prefix = testRedisPrefix();
  const redis = hasServers ? new Redis(TEST_REDIS_URL!, { maxRetriesPerRequest: null }) : null;
  const env = testEnv(database.url, TEST_REDIS_URL ?? '');
  if (!hasServers) {
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
  }
  const config = loadConfig({ ...env, REDIS_PREFIX: prefix, ...opts.env });
  const inbound: RecordedInbound[] = [];
  let container: Container | undefined;
  const c = await buildContainer(config, {
    log: opts.logger ?? pino({ level: 'silent' }),
    database,
    defaultMetrics: false,
    background: opts.background ?? false,
    client: createCloudApiClient({
      apiUrl: CLOUD_API,
      apiVersion: config.whatsapp.apiVersion,
      phoneNumberId: PHONE_NUMBER_ID,
      accessToken: 'test-token',
      timeoutMs: 2000,
    }),
    outbound: {
      retry: { attempts: 5, baseDelayMs: 20 },
      ...(opts.sweepEveryMs ? { sweepEveryMs: opts.sweepEveryMs } : {}),
    },
    // a sender whose handling failed is tried again soon: tests wait seconds, not minutes
    engine: { retry: { firstDelayMs: 100, maxDelayMs: 2000 }, ...(opts.now ? { now: opts.now } : {}) },
    onInbound:
      opts.onInbound ??
      (async (r) => {
        inbound.push(...r);
        if (opts.conversations) await container!.handleInbound(r);
      }),
  });
  container = c;
  await c.start();
  return {
    app: c.app,
    database,
    redis,
    outbound: c.outbound,
    desk: c.desk,
    metrics: c.metrics,
    inbound,
    engine: c.engine,
    store: c.store,
    prefix,
    close: async () => {
      await c.stop();
      if (redis) {
        await flushPrefix(redis, prefix);
        await redis.quit();
      }
      await database.close();
    },
  };
}

/** Resolves once the sender has nothing queued or in flight: every reply queued so far has been sent. */
export async function sendsSettled(t: TestApp, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await t.database.db
      .select({ n: count() })
      .from(messages)
      .where(inArray(messages.status, ['queued', 'sending']));
    if (row!.n === 0) return;
    if (Date.now() > end) throw new Error('messages still queued or sending');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const adminHeaders = { authorization: `Bearer ${ADMIN_KEY}` };
