import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, bills, payments } from '../../../src/db/index.js';
import { findParticipantByKpj, getBalance } from '../../../src/participants/index.js';
import { openTestDatabase, type TestDatabase } from '../../support/servers.js';
import { buildParticipantsApp, csv, participant } from './helpers.js';

describe('bills, payments and balances on PostgreSQL', () => {
  let database: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await openTestDatabase();
    app = await buildParticipantsApp(database.db);
    const kpjs = Array.from({ length: 20 }, (_, i) => `700000000${String(i).padStart(2, '0')}`);
    const res = await app.inject({
      method: 'POST',
      url: '/api/participants',
      payload: { participants: kpjs.map((kpj) => participant(kpj)) },
    });
    expect(res.json()).toMatchObject({ created: 20 });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const post = async (url: string, payload: unknown) => {
    const res = await app.inject({ method: 'POST', url, payload: payload as object });
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const bill = (kpj: string, period: string, over: Record<string, unknown> = {}) => ({
    kpj,
    period,
    amount: 36800,
    dueDate: `${period}-15`,
    paymentCode: `KODE${kpj.slice(-4)}${period.replace('-', '')}`,
    ...over,
  });
  let refs = 0;
  const payment = (kpj: string, period: string, over: Record<string, unknown> = {}) => ({
    reference: `REF-${++refs}`,
    kpj,
    period,
    amount: 36800,
    paidAt: '2026-11-10T09:30:00+07:00',
    channel: 'BRI',
    ...over,
  });
  const idOf = async (kpj: string) => (await findParticipantByKpj(database.db, kpj))!.id;
  const billOf = async (kpj: string, period: string) => {
    const [row] = await database.db
      .select()
      .from(bills)
      .where(and(eq(bills.participantId, await idOf(kpj)), eq(bills.period, period)));
    return row;
  };

  describe('POST /api/bills', () => {
    it('upserts on (participant, period), rejecting unknown kpj and bad rows', async () => {
      expect(
        await post('/api/bills', {
          bills: [
            bill('70000000001', '2026-10'),
            bill('70000000001', '2026-11'),
            bill('79999999999', '2026-11'),
          ],
        }),
      ).toEqual({
        created: 2,
        updated: 0,
        rejected: [{ row: 3, kpj: '79999999999', errors: ['kpj: no participant with this KPJ'] }],
      });
      expect(
        await post('/api/bills', {
          bills: [
            bill('70000000001', '2026-11', { amount: 40000, paymentCode: 'NEW' }),
            bill('70000000001', '2026-12', { amount: 0 }),
            bill('70000000001', '2026-13', { dueDate: '2026-12-15' }),
            bill('70000000001', '2027-01', { dueDate: '2027-02-30' }),
          ],
        }),
      ).toEqual({
        created: 0,
        updated: 1,
        rejected: [
          { row: 2, kpj: '70000000001', errors: ['amount: must be a positive whole number of rupiah'] },
          { row: 3, kpj: '70000000001', errors: ['period: must be a month as YYYY-MM'] },
          { row: 4, kpj: '70000000001', errors: ['dueDate: must be a date as YYYY-MM-DD'] },
        ],
      });
      expect(await billOf('70000000001', '2026-11')).toMatchObject({
        amount: 40000,
        paymentCode: 'NEW',
        paidAt: null,
      });
    });

    it('lets the later of two rows for one period win', async () => {
      expect(
        await post('/api/bills', {
          bills: [
            bill('70000000002', '2026-11', { amount: 1 }),
            bill('70000000002', '2026-11', { amount: 2 }),
          ],
        }),
      ).toEqual({
        created: 1,
        updated: 0,
        rejected: [
          {
            row: 1,
            kpj: '70000000002',
            errors: ['period: repeated in row 2 of this request, which replaces this row'],
          },
        ],
      });
      expect((await billOf('70000000002', '2026-11'))?.amount).toBe(2);
    });

    it('reads CSV with the same columns', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/bills',
        headers: { 'content-type': 'text/csv' },
        payload: csv([
          'kpj,period,amount,dueDate,paymentCode',
          '70000000003,2026-11,16800,2026-11-15,"K-1,2"',
        ]),
      });
      expect(res.json()).toEqual({ created: 1, updated: 0, rejected: [] });
      expect(await billOf('70000000003', '2026-11')).toMatchObject({ amount: 16800, paymentCode: 'K-1,2' });
    });

    it('answers 400 for a body that is not the envelope', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/bills', payload: { bills: 'none' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().issues[0].path).toBe('body.bills');
    });
  });

  describe('POST /api/payments', () => {
    it('records a payment once; a replay is a duplicate that changes nothing', async () => {
      await post('/api/bills', { bills: [bill('70000000004', '2026-11')] });
      const pay = payment('70000000004', '2026-11', { reference: 'BRI-777' });
      expect(await post('/api/payments', { payments: [pay] })).toEqual({
        recorded: 1,
        duplicates: 0,
        rejected: [],
        warnings: [],
      });
      const paid = await billOf('70000000004', '2026-11');
      expect(paid?.paidAt?.toISOString()).toBe('2026-11-10T02:30:00.000Z');

      expect(await post('/api/payments', { payments: [pay, pay] })).toEqual({
        recorded: 0,
        duplicates: 2,
        rejected: [],
        warnings: [],
      });
      const rows = await database.db.select().from(payments).where(eq(payments.reference, 'BRI-777'));
      expect(rows).toHaveLength(1);
      expect((await billOf('70000000004', '2026-11'))?.paidAt).toEqual(paid?.paidAt);
    });

    it('counts a reference repeated inside one request once, and warns when the replay differs', async () => {
      await post('/api/bills', { bills: [bill('70000000005', '2026-11')] });
      const first = payment('70000000005', '2026-11', { amount: 1000 });
      expect(await post('/api/payments', { payments: [first, first, { ...first, amount: 2000 }] })).toEqual({
        recorded: 1,
        duplicates: 2,
        rejected: [],
        warnings: [
          {
            row: 3,
            reference: first.reference,
            message:
              'reference already recorded with a different kpj, period or amount: the first record is kept',
          },
        ],
      });
    });

    it('records exactly once when two requests race with the same reference', async () => {
      await post('/api/bills', { bills: [bill('70000000006', '2026-11')] });
      const pay = payment('70000000006', '2026-11', { reference: 'RACE-1' });
      const results = await Promise.all(
        [1, 2].map(() => app.inject({ method: 'POST', url: '/api/payments', payload: { payments: [pay] } })),
      );
      expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
      const bodies = results.map((r) => r.json());
      expect(bodies.reduce((n, b) => n + b.recorded, 0)).toBe(1);
      expect(bodies.reduce((n, b) => n + b.duplicates, 0)).toBe(1);
      const rows = await database.db.select().from(payments).where(eq(payments.reference, 'RACE-1'));
      expect(rows).toHaveLength(1);
      expect((await billOf('70000000006', '2026-11'))?.paidAt).not.toBeNull();
    });

    it('marks a bill paid when two parallel partial payments together cover it', async () => {
      await post('/api/bills', { bills: [bill('70000000007', '2026-11')] });
      const results = await Promise.all(
        [18400, 18400].map((amount) =>
          app.inject({
            method: 'POST',
            url: '/api/payments',
            payload: { payments: [payment('70000000007', '2026-11', { amount })] },
          }),
        ),
      );
      expect(results.map((r) => r.json().recorded)).toEqual([1, 1]);
      expect((await billOf('70000000007', '2026-11'))?.paidAt).not.toBeNull();
    });

    it('leaves a partly paid bill unpaid with the right outstanding, until a payment covers it', async () => {
      const kpj = '70000000008';
      await post('/api/bills', {
        bills: [
          bill(kpj, '2026-10', { amount: 36800, dueDate: '2026-10-15' }),
          bill(kpj, '2026-11', { amount: 36800, dueDate: '2026-11-15', paymentCode: 'K11' }),
        ],
      });
      await post('/api/payments', {
        payments: [payment(kpj, '2026-10', { amount: 20000, paidAt: '2026-10-20T10:00:00+07:00' })],
      });
      const id = await idOf(kpj);
      expect(await getBalance(database.db, id)).toEqual({
        unpaid: [
          {
            period: '2026-10',
            amount: 36800,
            outstanding: 16800,
            dueDate: '2026-10-15',
            paymentCode: 'KODE00082026' + '10',
          },
          { period: '2026-11', amount: 36800, outstanding: 36800, dueDate: '2026-11-15', paymentCode: 'K11' },
        ],
        total: 53600,
        earliestDueDate: '2026-10-15',
      });
      expect((await billOf(kpj, '2026-10'))?.paidAt).toBeNull();

      await post('/api/payments', {
        payments: [payment(kpj, '2026-10', { amount: 16800, paidAt: '2026-10-25T08:00:00+07:00' })],
      });
      expect((await billOf(kpj, '2026-10'))?.paidAt?.toISOString()).toBe('2026-10-25T01:00:00.000Z');
      expect(await getBalance(database.db, id)).toEqual({
        unpaid: [expect.objectContaining({ period: '2026-11', outstanding: 36800 })],
        total: 36800,
        earliestDueDate: '2026-11-15',
      });
    });

    it('keeps a payment that arrives before its bill and applies it when the bill comes', async () => {
      const kpj = '70000000009';
      expect(
        await post('/api/payments', { payments: [payment(kpj, '2026-12', { reference: 'EARLY-1' })] }),
      ).toEqual({
        recorded: 1,
        duplicates: 0,
        rejected: [],
        warnings: [
          {
            row: 1,
            reference: 'EARLY-1',
            message:
              'no bill for this period yet: the payment is recorded and applied when the bill is imported',
          },
        ],
      });
      const [orphan] = await database.db.select().from(payments).where(eq(payments.reference, 'EARLY-1'));
      expect(orphan?.billId).toBeNull();

      await post('/api/bills', { bills: [bill(kpj, '2026-12')] });
      const b = await billOf(kpj, '2026-12');
      expect(b?.paidAt?.toISOString()).toBe('2026-11-10T02:30:00.000Z');
      const [linked] = await database.db.select().from(payments).where(eq(payments.reference, 'EARLY-1'));
      expect(linked?.billId).toBe(b?.id);
    });

    it('rejects unknown kpj and bad rows, keeping the good ones', async () => {
      await post('/api/bills', { bills: [bill('70000000010', '2026-11')] });
      expect(
        await post('/api/payments', {
          payments: [
            payment('79999999999', '2026-11'),
            payment('70000000010', '2026-11', { paidAt: '10-11-2026' }),
            payment('70000000010', '2026-11', { amount: -1 }),
            payment('70000000010', '2026-11'),
          ],
        }),
      ).toMatchObject({
        recorded: 1,
        duplicates: 0,
        rejected: [
          { row: 1, kpj: '79999999999', errors: ['kpj: no participant with this KPJ'] },
          {
            row: 2,
            kpj: '70000000010',
            errors: ['paidAt: must be an ISO 8601 time with offset, e.g. 2026-11-10T09:30:00+07:00'],
          },
          { row: 3, kpj: '70000000010', errors: ['amount: must be a positive whole number of rupiah'] },
        ],
      });
    });
  });

  describe('bill upserts and the paid state', () => {
    const kpj = '70000000011';

    it('keeps a paid bill paid when re-imported with the same or a lower amount', async () => {
      await post('/api/bills', { bills: [bill(kpj, '2026-11')] });
      await post('/api/payments', { payments: [payment(kpj, '2026-11')] });
      const paidAt = (await billOf(kpj, '2026-11'))?.paidAt;
      expect(paidAt).not.toBeNull();
      expect(await post('/api/bills', { bills: [bill(kpj, '2026-11', { paymentCode: 'X' })] })).toMatchObject(
        {
          updated: 1,
        },
      );
      expect((await billOf(kpj, '2026-11'))?.paidAt).toEqual(paidAt);
      await post('/api/bills', { bills: [bill(kpj, '2026-11', { amount: 16800 })] });
      expect((await billOf(kpj, '2026-11'))?.paidAt).toEqual(paidAt);
    });

    it('un-pays it when the new amount exceeds what was paid, and shows the difference', async () => {
      await post('/api/bills', { bills: [bill(kpj, '2026-11', { amount: 50000 })] });
      expect((await billOf(kpj, '2026-11'))?.paidAt).toBeNull();
      const balance = await getBalance(database.db, await idOf(kpj));
      expect(balance.unpaid).toEqual([
        expect.objectContaining({ period: '2026-11', amount: 50000, outstanding: 13200 }),
      ]);
      expect(balance.total).toBe(13200);
    });

    it('pays a partly paid bill whose amount is lowered to what was paid', async () => {
      await post('/api/bills', { bills: [bill(kpj, '2026-11', { amount: 36800 })] });
      expect((await billOf(kpj, '2026-11'))?.paidAt?.toISOString()).toBe('2026-11-10T02:30:00.000Z');
      expect(await getBalance(database.db, await idOf(kpj))).toEqual({
        unpaid: [],
        total: 0,
        earliestDueDate: null,
      });
    });
  });

  it('writes an audit row per import with counts only', async () => {
    const rows = await database.db
      .select({ action: auditLog.action, details: auditLog.details })
      .from(auditLog)
      .where(sql`${auditLog.action} in ('bills.import', 'payments.import')`);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.find((r) => r.action === 'payments.import')?.details).toEqual({
      source: 'json',
      rows: expect.any(Number),
      recorded: expect.any(Number),
      duplicates: expect.any(Number),
      rejected: expect.any(Number),
      warnings: expect.any(Number),
    });
  });
});
