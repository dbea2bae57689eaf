import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, messages, participants } from '../../../src/db/index.js';
import {
  birthDateMatches,
  findParticipantByKpj,
  findParticipantByWaId,
  findParticipantsByWaId,
  importParticipants,
} from '../../../src/participants/index.js';
import { openTestDatabase, type TestDatabase } from '../../support/servers.js';
import { buildParticipantsApp, csv, DATA_KEY, participant } from './helpers.js';

describe('participants API on PostgreSQL', () => {
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

  const postJson = (body: unknown, url = '/api/participants') =>
    app.inject({ method: 'POST', url, payload: body as object });
  const postCsv = (body: string, url = '/api/participants') =>
    app.inject({
      method: 'POST',
      url,
      payload: body,
      headers: { 'content-type': 'text/csv; charset=utf-8' },
    });
  const stored = (kpj: string) => findParticipantByKpj(database.db, kpj);

  describe('POST /api/participants (JSON)', () => {
    it('creates participants with the phone in wa_id form and only a hash of the birth date', async () => {
      const res = await postJson({
        participants: [
          participant('10000000001', { phone: '+62 812-1000-0001', birthDate: '17/08/1980' }),
          participant('10000000002', { phone: '0062 813 1000 0002', category: 'PU', language: 'en' }),
        ],
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ created: 2, updated: 0, rejected: [] });

      const siti = await stored('10000000001');
      expect(siti).toMatchObject({ waId: '6281210000001', category: 'BPU', language: 'id', optedOut: false });
      expect(birthDateMatches('17-08-1980', siti!.birthDateHash, DATA_KEY)).toBe(true);
      expect(JSON.stringify(siti)).not.toContain('1980');
      expect(await stored('10000000002')).toMatchObject({
        waId: '6281310000002',
        category: 'PU',
        language: 'en',
      });
    });

    it('updates on kpj, counting created and updated apart, and keeps the language when none is given', async () => {
      await database.db
        .update(participants)
        .set({ optedOut: true })
        .where(eq(participants.kpj, '10000000002'));
      const res = await postJson({
        participants: [
          participant('10000000002', { name: 'Budi Santoso', phone: '0813-9999-0002' }),
          participant('10000000001', { language: 'jv' }),
          participant('10000000003'),
        ],
      });
      expect(res.json()).toEqual({ created: 1, updated: 2, rejected: [] });
      expect(await stored('10000000002')).toMatchObject({
        name: 'Budi Santoso',
        waId: '6281399990002',
        language: 'en',
        optedOut: true,
      });
      expect(await stored('10000000001')).toMatchObject({ language: 'jv' });
      expect(await stored('10000000003')).toMatchObject({ language: 'id' });
    });

    it('keeps the good rows and reports each bad one by row number with its reasons', async () => {
      const res = await postJson({
        participants: [
          participant('10000000010'),
          participant('10000000011', { phone: '021-555-1234', birthDate: '31-02-1980' }),
          participant('1000', { phone: '081210000003', category: 'X' }),
          5,
          participant('10000000012', { phone: 'ID.ENT.abc123' }),
          participant('10000000013', { name: '' }),
          participant('10000000014', { name: 'x'.repeat(201) }),
          participant('10000000015'),
        ],
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        created: 2,
        updated: 0,
        rejected: [
          {
            row: 2,
            kpj: '10000000011',
            errors: [
              'phone: not an Indonesian mobile number',
              'birthDate: not a real past date (DD-MM-YYYY or YYYY-MM-DD)',
            ],
          },
          { row: 3, errors: ['kpj: must be 11 digits', 'category: must be BPU or PU'] },
          { row: 4, errors: ['row: must be an object of named fields'] },
          { row: 5, kpj: '10000000012', errors: ['phone: a WhatsApp user id, not a phone number'] },
          { row: 6, kpj: '10000000013', errors: ['name: required'] },
          { row: 7, kpj: '10000000014', errors: ['name: must be at most 200 characters'] },
        ],
      });
      expect(await stored('10000000010')).not.toBeNull();
      expect(await stored('10000000011')).toBeNull();
      expect(await stored('10000000015')).not.toBeNull();
    });

    it('lets the later of two rows with one kpj win, and reports the earlier', async () => {
      const res = await postJson({
        participants: [
          participant('10000000020', { name: 'Lama' }),
          participant('10000000021'),
          participant('10000000020', { name: 'Baru' }),
        ],
      });
      expect(res.json()).toEqual({
        created: 2,
        updated: 0,
        rejected: [
          {
            row: 1,
            kpj: '10000000020',
            errors: ['kpj: repeated in row 3 of this request, which replaces this row'],
          },
        ],
      });
      expect((await stored('10000000020'))?.name).toBe('Baru');
    });

    it('stores SQL-looking names verbatim and the table survives', async () => {
      const names = [
        "Robert'); DROP TABLE participants;--",
        'O\'Brien "Bobby" \\ 100% _x_',
        '$1 $$ $(whoami) :kpj ? %s \\x00',
      ];
      const res = await postJson({
        participants: names.map((name, i) => participant(`1000000003${i}`, { name })),
      });
      expect(res.json()).toEqual({ created: 3, updated: 0, rejected: [] });
      for (const [i, name] of names.entries()) expect((await stored(`1000000003${i}`))?.name).toBe(name);
      const [count] = await database.db.select({ n: sql<number>`count(*)::int` }).from(participants);
      expect(count!.n).toBeGreaterThan(3);
    });

    it('accepts an empty list', async () => {
      expect((await postJson({ participants: [] })).json()).toEqual({ created: 0, updated: 0, rejected: [] });
    });

    it('refuses a birth date in the future by the calendar of BUSINESS_TZ, not Jakarta', async () => {
      // 15:30 UTC on 9 March: 22:30 in Jakarta, already 00:30 on 10 March in Jayapura
      const now = new Date('2026-03-09T15:30:00Z');
      const born = participant('33300000001', { birthDate: '10-03-2026' });
      const opts = { dataKey: DATA_KEY, actor: 'test', source: 'json' as const, now };
      const inJakarta = await importParticipants(database.db, [born], { ...opts, timeZone: 'Asia/Jakarta' });
      expect(inJakarta.rejected).toEqual([
        {
          row: 1,
          kpj: '33300000001',
          errors: ['birthDate: not a real past date (DD-MM-YYYY or YYYY-MM-DD)'],
        },
      ]);
      const inJayapura = await importParticipants(database.db, [born], {
        ...opts,
        timeZone: 'Asia/Jayapura',
      });
      expect(inJayapura).toMatchObject({ created: 1, rejected: [] });
    });
  });

  describe('POST /api/participants (CSV)', () => {
    it('reads quoted commas, doubled quotes, a BOM and CRLF line ends', async () => {
      const body = `\ufeff${csv([
        'kpj,name,phone,birthDate,category,language',
        '20000000001,"Sutrisno, S.Pd.","0812 2000 0001",17-08-1980,BPU,jv',
        '20000000002,"Siti ""Ani"" Rahayu",+6281320000002,01/02/1975,PU,',
      ])}`;
      const res = await postCsv(body);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ created: 2, updated: 0, rejected: [] });
      expect(await stored('20000000001')).toMatchObject({
        name: 'Sutrisno, S.Pd.',
        waId: '6281220000001',
        language: 'jv',
      });
      expect(await stored('20000000002')).toMatchObject({
        name: 'Siti "Ani" Rahayu',
        category: 'PU',
        language: 'id',
      });
    });

    it('reads an Excel file from an Indonesian locale: semicolons and other header spellings', async () => {
      const body = `\ufeff${csv([
        'KPJ;Name;Phone;Birth_Date;Category',
        '20000000003;Wahyuni, Sri;081220000003;1980-08-17;bpu',
      ])}`;
      const res = await postCsv(body);
      expect(res.json()).toEqual({ created: 1, updated: 0, rejected: [] });
      expect(await stored('20000000003')).toMatchObject({ name: 'Wahyuni, Sri', category: 'BPU' });
    });

    it('numbers rows from the first data row and keeps good rows', async () => {
      const body = csv([
        'kpj,name,phone,birthDate,category',
        '20000000004,Good One,081220000004,17-08-1980,BPU',
        '20000000005,Bad Phone,12345,17-08-1980,BPU',
        '20000000006,Shifted, name,081220000006,17-08-1980,BPU',
        '20000000007,Short Row',
        '20000000008,Good Two,081220000008,17-08-1980,PU,,',
      ]);
      const res = await postCsv(body);
      expect(res.json()).toEqual({
        created: 2,
        updated: 0,
        rejected: [
          { row: 2, kpj: '20000000005', errors: ['phone: not an Indonesian mobile number'] },
          {
            row: 3,
            kpj: '20000000006',
            errors: [
              'row: has 6 cells but the header names 5 columns',
              'phone: contains characters that are not digits',
              'birthDate: not a real past date (DD-MM-YYYY or YYYY-MM-DD)',
              'category: must be BPU or PU',
            ],
          },
          {
            row: 4,
            kpj: '20000000007',
            errors: ['phone: required', 'birthDate: required', 'category: required'],
          },
        ],
      });
    });

    it('answers 400 naming the missing columns', async () => {
      const res = await postCsv(csv(['kpj,nama,phone', '20000000009,Siti,081220000009']));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: 'Bad Request',
        message: 'CSV header lacks name, birthDate, category',
        issues: [
          { path: 'body.header.name', message: 'missing column' },
          { path: 'body.header.birthDate', message: 'missing column' },
          { path: 'body.header.category', message: 'missing column' },
        ],
      });
    });

    it('answers 400 for an empty body or a broken quote', async () => {
      expect((await postCsv('')).statusCode).toBe(400);
      const broken = await postCsv(
        csv(['kpj,name,phone,birthDate,category', '20000000010,"Siti,081220000010']),
      );
      expect(broken.statusCode).toBe(400);
      expect(broken.json()).toMatchObject({ error: 'Bad Request', issues: [] });
      expect(broken.body).not.toContain('0812');
    });
  });

  describe('request shape', () => {
    it.each([
      [{ participants: 5 }, 'body.participants'],
      [{ participants: { kpj: '1' } }, 'body.participants'],
      [{}, 'body.participants'],
      [{ rows: [] }, 'body.participants'],
      [[participant('30000000001')], 'body'],
    ])('answers 400 naming the path for %j', async (body, path) => {
      const res = await postJson(body);
      expect(res.statusCode).toBe(400);
      const json = res.json();
      expect(json).toMatchObject({ error: 'Bad Request', message: expect.stringContaining(path) });
      expect(json.issues[0]).toEqual({ path, message: expect.any(String) });
    });

    it('answers malformed JSON and other media types in the same shape', async () => {
      const bad = await app.inject({
        method: 'POST',
        url: '/api/participants',
        payload: '{"participants": [',
        headers: { 'content-type': 'application/json' },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: 'Bad Request', issues: [] });
      const text = await app.inject({
        method: 'POST',
        url: '/api/participants',
        payload: '<participants/>',
        headers: { 'content-type': 'application/xml' },
      });
      expect(text.statusCode).toBe(415);
      expect(text.json()).toMatchObject({ error: 'Unsupported Media Type' });
    });
  });

  describe('audit', () => {
    it('records each import with counts only, by the calling key', async () => {
      for (const requestProps of [
        { apiKey: { id: 1, name: 'branch-admin', role: 'admin' } },
        { apiKeyName: 'other' },
      ]) {
        const keyed = await buildParticipantsApp(database.db, { requestProps });
        try {
          await keyed.inject({
            method: 'POST',
            url: '/api/participants',
            payload: {
              participants: [participant('40000000001', { name: 'Rahasia Namanya' }), { kpj: 'x' }],
            },
          });
        } finally {
          await keyed.close();
        }
      }
      const rows = await database.db
        .select()
        .from(auditLog)
        .where(inArray(auditLog.actor, ['key:branch-admin', 'key:other']))
        .orderBy(asc(auditLog.id));
      expect(rows.map((r) => [r.actor, r.action, r.details])).toEqual([
        [
          'key:branch-admin',
          'participants.import',
          { source: 'json', rows: 2, created: 1, updated: 0, rejected: 1 },
        ],
        [
          'key:other',
          'participants.import',
          { source: 'json', rows: 2, created: 0, updated: 1, rejected: 1 },
        ],
      ]);
      const all = await database.db.select().from(auditLog);
      expect(all.some((a) => a.actor === 'api' && a.details?.source === 'csv')).toBe(true);
      const text = JSON.stringify(all);
      expect(text).not.toContain('Rahasia');
      // no whole phone number (a number's move is audited masked, 62812****0001)
      expect(text).not.toMatch(/628\d{7,}/);
      expect(text).not.toContain('1980');
    });
  });

  describe('lookups', () => {
    it('finds a participant by kpj and by wa_id, earliest first when a family shares a phone', async () => {
      await postJson({
        participants: [
          participant('50000000001', { phone: '0812-5000-0000' }),
          participant('50000000002', { phone: '+62 812 5000 0000' }),
        ],
      });
      expect((await findParticipantByWaId(database.db, '6281250000000'))?.kpj).toBe('50000000001');
      expect((await findParticipantsByWaId(database.db, '6281250000000')).map((p) => p.kpj)).toEqual([
        '50000000001',
        '50000000002',
      ]);
      expect(await findParticipantByWaId(database.db, '081250000000')).toBeNull();
      expect(await findParticipantByKpj(database.db, '59999999999')).toBeNull();
    });
  });

  describe('GET /api/participants/:kpj/messages', () => {
    it('lists the participant’s messages and those of their number, oldest first', async () => {
      await postJson({ participants: [participant('60000000001', { phone: '0812-6000-0001' })] });
      await postJson({ participants: [participant('60000000002', { phone: '0812-6000-0002' })] });
      const me = (await stored('60000000001'))!;
      const other = (await stored('60000000002'))!;
      const base = {
        payload: {},
        statusHistory: [],
      };
      await database.db.insert(messages).values([
        {
          ...base,
          direction: 'out',
          contactKey: me.waId,
          participantId: me.id,
          type: 'template',
          templateName: 'iuran_reminder',
          status: 'read',
          occurredAt: new Date('2026-11-10T02:00:00Z'),
          sentAt: new Date('2026-11-10T02:00:01Z'),
          deliveredAt: new Date('2026-11-10T02:00:02Z'),
          readAt: new Date('2026-11-10T02:05:00Z'),
          wamid: 'wamid.A',
        },
        {
          ...base,
          direction: 'in',
          contactKey: me.waId,
          participantId: null,
          type: 'text',
          text: 'MENU',
          status: 'received',
          occurredAt: new Date('2026-11-09T01:00:00Z'),
          wamid: 'wamid.B',
        },
        {
          ...base,
          direction: 'out',
          contactKey: other.waId,
          participantId: other.id,
          type: 'text',
          text: 'not mine',
          status: 'sent',
          occurredAt: new Date('2026-11-09T00:00:00Z'),
        },
        {
          ...base,
          direction: 'out',
          contactKey: me.waId,
          participantId: me.id,
          type: 'text',
          text: 'gagal',
          status: 'failed',
          errorCode: 131026,
          occurredAt: new Date('2026-11-11T00:00:00Z'),
          failedAt: new Date('2026-11-11T00:00:03Z'),
        },
      ]);

      const res = await app.inject({ method: 'GET', url: '/api/participants/60000000001/messages' });
      expect(res.statusCode).toBe(200);
      const history = res.json();
      expect(
        history.map((m: { text: string | null; templateName: string | null }) => m.text ?? m.templateName),
      ).toEqual(['MENU', 'iuran_reminder', 'gagal']);
      expect(history[1]).toEqual({
        id: expect.any(Number),
        direction: 'out',
        type: 'template',
        text: null,
        templateName: 'iuran_reminder',
        status: 'read',
        errorCode: null,
        occurredAt: '2026-11-10T02:00:00.000Z',
        sentAt: '2026-11-10T02:00:01.000Z',
        deliveredAt: '2026-11-10T02:00:02.000Z',
        readAt: '2026-11-10T02:05:00.000Z',
        failedAt: null,
      });
      expect(history[2]).toMatchObject({
        status: 'failed',
        errorCode: 131026,
        failedAt: '2026-11-11T00:00:03.000Z',
      });
    });

    it('answers an empty list for a participant without messages', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/participants/10000000001/messages' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual([]);
    });

    it('answers 404 for an unknown kpj and 400 for a malformed one', async () => {
      const missing = await app.inject({ method: 'GET', url: '/api/participants/69999999999/messages' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({
        error: 'Not Found',
        message: 'no participant with this KPJ',
        issues: [],
      });
      const bad = await app.inject({ method: 'GET', url: '/api/participants/12ab/messages' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toEqual({
        error: 'Bad Request',
        message: 'params.kpj: must be 11 digits',
        issues: [{ path: 'params.kpj', message: 'must be 11 digits' }],
      });
    });
  });
});
