import type { Db, Tx } from '../db/index.js';

export { jsonParam, queryRows as rows } from '../db/index.js';

export type Queryable = Db | Tx;
