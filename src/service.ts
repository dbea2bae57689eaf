import pino, { type DestinationStream } from 'pino';
import type { App } from './app.js';
import type { Config } from './config.js';
import { buildContainer } from './container.js';
import type { Database } from './db/index.js';
import { loggerOptions } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Outbound } from './outbound/index.js';
import type { Secrets } from './secrets.js';
import type { Simulator } from './simulator/index.js';
import type { CloudApiClient } from './whatsapp/index.js';

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
  const c = await buildContainer(config, { log });
  await c.start();
  let address = '';
  if (opts.listen !== false) {
    address = await c.app.listen({ port: config.port, host: config.host });
    log.info(describeMode(config));
  }
  return {
    app: c.app,
    database: c.database,
    outbound: c.outbound,
    metrics: c.metrics,
    client: c.client,
    ...(c.simulator ? { simulator: c.simulator } : {}),
    address,
    ...(c.adminApiKey ? { adminApiKey: c.adminApiKey } : {}),
    secrets: c.secrets,
    stop: c.stop,
  };
}
