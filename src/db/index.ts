import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema.js';

export * from './schema.js';
export { schema };

/** The database as every room sees it, whether postgres-js or PGlite is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  ping(): Promise<void>;
  close(): Promise<void>;
}

// src/db in development, dist/src/db once built: migrations/ sits at the project root above either.
function migrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    dir = resolve(dir, '..');
  }
  throw new Error('migrations/ not found above src/db');
}

export const MIGRATIONS_DIR = migrationsDir();

/**
 * postgres.js asks each new connection for the server's array types first, and drops that query's promise:
 * a connection ended while it runs (a failover, a restart, pg_terminate_backend) rejects it unhandled and
 * Node ends the process (porsager/postgres#1192, #1223). Without the question no promise is dropped. Arrays
 * never cross the driver here: lists go as one jsonb parameter (jsonParam) and come back as rows.
 */
const DRIVER_OPTIONS = { onnotice: () => {}, fetch_types: false } as const;

// Many processes may start at once on one database: the migration runs under an advisory lock on a
// single dedicated connection so that exactly one applies it and the others wait and find it done.
const MIGRATION_LOCK = 7_203_114;

export async function migrateDatabase(url: string): Promise<void> {
  const client = postgres(url, { max: 1, ...DRIVER_OPTIONS });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres(client), { migrationsFolder: MIGRATIONS_DIR });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await client.end();
  }
}

export interface OpenOptions {
  databaseUrl?: string;
  dataDir: string;
  /** apply migrations before returning (always true for PGlite, which only this process uses) */
  migrate?: boolean;
  poolSize?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) {
    if (opts.migrate) await migrateDatabase(opts.databaseUrl);
    const client = postgres(opts.databaseUrl, { max: opts.poolSize ?? 10, ...DRIVER_OPTIONS });
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      ping: async () => {
        await client`select 1`;
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dir = opts.dataDir === 'memory://' ? undefined : join(opts.dataDir, 'pglite');
  if (dir) mkdirSync(dir, { recursive: true });
  const client = new PGlite(dir);
  const pglite = drizzlePglite(client, { schema });
  await migratePglite(pglite, { migrationsFolder: MIGRATIONS_DIR });
  const db = pglite as unknown as Db;
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.close(),
  };
}

/**
 * Rows of a raw statement, whichever driver runs it (postgres-js answers an array, PGlite `{ rows }`).
 *
 * Not prepared, on purpose: measured on a blast, a prepared statement's cached generic plan, made while
 * `messages` was still small, kept joining it by a full scan as it grew (PostgreSQL time per message
 * rose from 0.8 to 3.4 ms over 12,000 sends). Planned afresh each time, each statement sees the table as
 * it is; pass lists as one jsonb parameter so that the text, and the planning, stay small.
 */
export async function queryRows<T>(db: Db | Tx, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

/** A list as one bind parameter, so a statement's text and size do not grow with the list. */
export const jsonParam = (values: readonly (string | number)[]): string => JSON.stringify(values);

/**
 * A column's bare name in raw SQL, where drizzle's table-qualified `${table.column}` cannot stand: an
 * insert's column list, an update's `set`, `excluded.…`, a column of an aliased table (`p.${col(…)}`).
 */
export const col = (column: { name: string }): SQL => sql`${sql.identifier(column.name)}`;

/** Bare column names as a comma-separated list (an insert's columns). */
export const cols = (...columns: { name: string }[]): SQL =>
  sql.join(
    columns.map((c) => col(c)),
    sql`, `,
  );

const dialect = new PgDialect();

/**
 * A statement whose text is built once, names from the schema included, with a slot for each value a call
 * gives (`build`'s parameters, in order). Measured on a blast: building a statement of a few dozen
 * interpolated names on every call cost the sender's thread more than the rest of drizzle together.
 */
export function statement(build: (...slots: SQL[]) => SQL): (...values: unknown[]) => SQL {
  const marks = Array.from({ length: build.length }, (_, i) => sql.raw(`⟦${i}⟧`));
  const built = dialect.sqlToQuery(build(...marks));
  if (built.params.length > 0) throw new Error('statement: every value goes in a slot');
  const parts = built.sql.split(/⟦(\d+)⟧/);
  return (...values) => {
    const chunks: SQL[] = [sql.raw(parts[0]!)];
    for (let i = 1; i < parts.length; i += 2) {
      chunks.push(sql`${values[Number(parts[i])]}`, sql.raw(parts[i + 1]!));
    }
    return sql.join(chunks);
  };
}
