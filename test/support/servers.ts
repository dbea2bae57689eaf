import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { type Database, migrateDatabase, openDatabase } from '../../src/db/index.js';

// Each test file gets its own database and its own Redis key prefix, so files run in parallel without
// seeing each other's rows or queues.

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;
export const hasServers = Boolean(TEST_DATABASE_URL && TEST_REDIS_URL);

export interface TestDatabase extends Database {
  url: string;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL unset');
  const name = `tagih_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: 'unused', poolSize: 5 });
  return {
    ...database,
    url: url.toString(),
    close: async () => {
      await database.close();
      const dropper = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

/**
 * This file's database: a PostgreSQL database of its own on the test servers, else PGlite in memory, as
 * embedded mode runs (a newcomer without servers still runs every test that needs only a database).
 */
export const openTestDatabase = (): Promise<TestDatabase> =>
  hasServers ? createTestDatabase() : createMemoryTestDatabase();

/** PGlite in memory, migrated: the database of a test run without servers, as embedded mode's. */
export async function createMemoryTestDatabase(): Promise<TestDatabase> {
  const database = await openDatabase({ dataDir: 'memory://' });
  return { ...database, url: '' };
}

export function testRedisPrefix(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

export function createTestRedis(): Redis {
  if (!TEST_REDIS_URL) throw new Error('TEST_REDIS_URL unset');
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
}

/** Removes every key under a prefix (BullMQ queues and state-store keys of one test file). */
export async function flushPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
