import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/index.js';
import { findParticipantByKpj, getBalance } from '../../../src/participants/index.js';
import { buildParticipantsApp, csv, participant } from './helpers.js';

// The demo runs on embedded PGlite, whose driver answers raw statements differently from postgres-js.
describe('participants room on PGlite (embedded mode)', () => {
  let database: Database;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
    app = await buildParticipantsApp(database.db);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('imports participants, bills and payments and derives the balance', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/participants',
      headers: { 'content-type': 'text/csv' },
      payload: csv([
        'kpj,name,phone,birthDate,category',
        '90000000001,"Siti, A",0812-9000-0001,17-08-1980,BPU',
      ]),
    });
    expect(created.json()).toEqual({ created: 1, updated: 0, rejected: [] });
    const again = await app.inject({
      method: 'POST',
      url: '/api/participants',
      payload: { participants: [participant('90000000001', { language: 'en' })] },
    });
    expect(again.json()).toEqual({ created: 0, updated: 1, rejected: [] });

    const bills = await app.inject({
      method: 'POST',
      url: '/api/bills',
      payload: {
        bills: [
          { kpj: '90000000001', period: '2026-10', amount: 36800, dueDate: '2026-10-15', paymentCode: 'A' },
          { kpj: '90000000001', period: '2026-11', amount: 36800, dueDate: '2026-11-15', paymentCode: 'B' },
        ],
      },
    });
    expect(bills.json()).toEqual({ created: 2, updated: 0, rejected: [] });

    const pay = {
      reference: 'P-1',
      kpj: '90000000001',
      period: '2026-10',
      amount: 36800,
      paidAt: '2026-10-12T10:00:00+07:00',
      channel: 'DANA',
    };
    const paid = await app.inject({
      method: 'POST',
      url: '/api/payments',
      payload: { payments: [pay, { ...pay, reference: 'P-2', period: '2026-11', amount: 1000 }, pay] },
    });
    expect(paid.json()).toEqual({ recorded: 2, duplicates: 1, rejected: [], warnings: [] });

    const p = (await findParticipantByKpj(database.db, '90000000001'))!;
    expect(p.language).toBe('en');
    expect(await getBalance(database.db, p.id)).toEqual({
      unpaid: [
        { period: '2026-11', amount: 36800, outstanding: 35800, dueDate: '2026-11-15', paymentCode: 'B' },
      ],
      total: 35800,
      earliestDueDate: '2026-11-15',
    });

    const history = await app.inject({ method: 'GET', url: '/api/participants/90000000001/messages' });
    expect(history.json()).toEqual([]);
  });
});
