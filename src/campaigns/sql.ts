import type { SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.js';

export type Queryable = Db | Tx;

/** Rows of a raw statement, whichever driver runs it (postgres-js answers an array, PGlite `{ rows }`). */
export async function rows<T>(db: Queryable, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

/** A list as one bind parameter, so a statement's size does not grow with the list. */
export const jsonParam = (values: readonly (string | number)[]): string => JSON.stringify(values);
