import { sql } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/index.js';
import { importBills, importParticipants } from '../../../src/participants/index.js';
import { DATA_KEY, startTestApp, type TestApp } from '../../support/app.js';
import { hasServers } from '../../support/servers.js';
import { waitFor } from '../outbound/support.js';
import { act, createCampaign, fakeCloudApi, process, recipientsOf, view } from './support.js';

// A campaign's audience is written as it is sent: the first reminder leaves after one page of recipient
// rows, not after the whole audience; and the import that made the audience left the planner statistics.

const SIZE = 2500;

describe.skipIf(!hasServers)('a large campaign', () => {
  let t: TestApp;
  const open: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    t = await startTestApp();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
    nock.cleanAll();
  });
  afterAll(async () => {
    await t?.close();
    nock.enableNetConnect();
  });

  it('sends its first reminder before its audience is all written, and counts the whole audience meanwhile', async () => {
    const db = t.database.db;
    const kpjs = Array.from({ length: SIZE }, (_, i) => String(30_000_000_000 + i));
    const imported = await importParticipants(
      db,
      kpjs.map((kpj, i) => ({
        kpj,
        name: `Peserta ${i}`,
        phone: `62815${String(i).padStart(8, '0')}`,
        birthDate: '1990-01-01',
        category: 'BPU',
      })),
      { dataKey: DATA_KEY, timeZone: 'Asia/Jakarta', actor: 'test', source: 'json' },
    );
    expect(imported.created).toBe(SIZE);
    await importBills(
      db,
      kpjs.map((kpj, i) => ({
        kpj,
        period: '2026-12',
        amount: 36_800,
        dueDate: '2026-12-15',
        paymentCode: `S${i}`,
      })),
      { actor: 'test', source: 'json' },
    );
    // a large import leaves the statistics the audience query is planned from (never analysed: -1)
    const tables = await queryRows<{ relname: string; reltuples: number }>(
      db,
      sql`select relname, reltuples::float8 as reltuples from pg_class where relname in ('participants', 'bills')`,
    );
    expect(Object.fromEntries(tables.map((r) => [r.relname, r.reltuples]))).toEqual({
      participants: SIZE,
      bills: SIZE,
    });

    const api = fakeCloudApi();
    const id = await createCampaign(t, { audience: { periods: ['2026-12'] } });
    const p = process(t, { mps: 20, inFlight: 40 });
    open.push(p);
    await p.outbound.start();
    p.runner.start();
    await act(t, id, 'start');
    await waitFor(() => api.sent.length >= 1);
    const written = (await recipientsOf(db, id)).length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(SIZE);
    expect((await view(t, id)).audienceSize).toBe(SIZE);
    expect((await act(t, id, 'cancel')).statusCode).toBe(202);
  });
});
