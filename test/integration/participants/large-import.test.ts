import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bills, participants } from '../../../src/db/index.js';
import { createTestDatabase, hasServers, type TestDatabase } from '../../support/servers.js';
import { buildParticipantsApp } from './helpers.js';

const ROWS = 100_000;
const kpjOf = (i: number) => String(80_000_000_000 + i);

describe.skipIf(!hasServers)('a branch-sized import', () => {
  let database: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await buildParticipantsApp(database.db);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it(`takes ${ROWS.toLocaleString('en')} participants and then their bills in one request each, never holding the event loop`, async () => {
    const lines = ['kpj,name,phone,birthDate,category'];
    for (let i = 0; i < ROWS; i++) {
      lines.push(`${kpjOf(i)},"Peserta ${i}, Blitar",0812${String(i).padStart(8, '0')},17-08-1980,BPU`);
    }
    lines.push('80099999999,Bad,021555,17-08-1980,BPU');
    const body = `${lines.join('\n')}\n`;
    expect(body.length).toBeGreaterThan(5_000_000);

    // The longest the event loop went without turning while the CSV was read, checked and written: what
    // /healthz and the webhooks would have waited. Generous (before: about 3 s), as the machine is shared.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const res = await app.inject({
      method: 'POST',
      url: '/api/participants',
      headers: { 'content-type': 'text/csv' },
      payload: body,
    });
    loop.disable();
    expect(res.statusCode).toBe(200);
    expect(loop.max / 1e6).toBeLessThan(1000);
    expect(res.json()).toEqual({
      created: ROWS,
      updated: 0,
      rejected: [{ row: ROWS + 1, kpj: '80099999999', errors: ['phone: not an Indonesian mobile number'] }],
    });
    const [count] = await database.db.select({ n: sql<number>`count(*)::int` }).from(participants);
    expect(count!.n).toBe(ROWS);

    const billRows = Array.from({ length: ROWS }, (_, i) => ({
      kpj: kpjOf(i),
      period: '2026-11',
      amount: 36800,
      dueDate: '2026-11-15',
      paymentCode: `K${i}`,
    }));
    const billRes = await app.inject({ method: 'POST', url: '/api/bills', payload: { bills: billRows } });
    expect(billRes.json()).toEqual({ created: ROWS, updated: 0, rejected: [] });
    const [billCount] = await database.db.select({ n: sql<number>`count(*)::int` }).from(bills);
    expect(billCount!.n).toBe(ROWS);
  }, 120_000);
});
