import type { SQL } from 'drizzle-orm';
import { type Db, queryRows, type Tx } from '../db/index.js';

export type Queryable = Db | Tx;

/** Rows of a raw statement, whichever driver runs it (db's queryRows). */
export const rows = <T>(db: Queryable, query: SQL): Promise<T[]> => queryRows<T>(db, query);

/** A list as one bind parameter, so a statement's size does not grow with the list. */
export const jsonParam = (values: readonly (string | number)[]): string => JSON.stringify(values);
