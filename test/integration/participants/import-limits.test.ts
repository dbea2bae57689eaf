import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { participants } from '../../../src/db/index.js';
import { IMPORT_MAX_ROWS } from '../../../src/participants/index.js';
import { openTestDatabase, type TestDatabase } from '../../support/servers.js';
import { buildParticipantsApp, participant } from './helpers.js';

// One request carries at most IMPORT_MAX_ROWS rows (README, API): past it the answer is 413 with what to
// do, and nothing of the request is imported. (The large-import test takes 100,000 in one request.)

describe('the row limit of an import', () => {
  let database: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await openTestDatabase();
    app = await buildParticipantsApp(database.db);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const count = async () =>
    (await database.db.select({ n: sql<number>`count(*)::int` }).from(participants))[0]!.n;

  it('answers 413, saying to split the file, for a CSV of one row too many, reading no further', async () => {
    const body = `kpj,name,phone,birthDate,category\n${'80000000001,a,b,c,d\n'.repeat(IMPORT_MAX_ROWS + 1)}`;
    const res = await app.inject({
      method: 'POST',
      url: '/api/participants',
      headers: { 'content-type': 'text/csv' },
      payload: body,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toBe(
      `at most ${IMPORT_MAX_ROWS.toLocaleString('en')} rows a request: split the file and send the parts one after another`,
    );
    expect(await count()).toBe(0);
  }, 60_000);

  it('answers 413 for a JSON list of one row too many, and imports nothing of it', async () => {
    const rows = [participant('80000000002'), ...Array.from({ length: IMPORT_MAX_ROWS }, () => ({}))];
    const res = await app.inject({
      method: 'POST',
      url: '/api/participants',
      payload: { participants: rows },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toMatch(/^at most 500,000 rows a request/);
    expect(await count()).toBe(0);
  }, 60_000);
});
