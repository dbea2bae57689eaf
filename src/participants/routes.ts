import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { AppError, errorResponse, msg } from '../errors/index.js';
import { CsvTable, readCsv } from './csv.js';
import { getMessageHistory } from './history.js';
import { importBills, importParticipants, importPayments } from './import.js';
import { findParticipantByKpj } from './participants.repository.js';
import { KPJ_PATTERN } from './rows.js';
import { mapInSlices } from './slices.js';

export interface ParticipantRoutesOptions {
  db: Db;
  /** DATA_KEY: keys the birth-date hashes */
  dataKey: string;
  /** BUSINESS_TZ: the calendar a birth date must not be in the future of */
  timeZone: string;
}

// A branch imports its whole register at once: 100,000 participants are about 15 MB as CSV and 25 MB as
// JSON. 64 MiB leaves room for long names and extra columns while still bounding what one request may make
// the process hold in memory.
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;
/**
 * Rows one import request may carry (README, API): a whole branch's register (Blitar: 226,342
 * participants; a 20 MB CSV is 130,000 to 330,000 rows), while bounding what one request holds in memory
 * (about 1.4 KB a row while it is imported, measured: some 700 MB at the limit). More: 413.
 */
export const IMPORT_MAX_ROWS = 500_000;

const PARTICIPANT_COLUMNS = ['kpj', 'name', 'phone', 'birthDate', 'category', 'language'];
const BILL_COLUMNS = ['kpj', 'period', 'amount', 'dueDate', 'paymentCode'];
const PAYMENT_COLUMNS = ['reference', 'kpj', 'period', 'amount', 'paidAt', 'channel'];
const OPTIONAL_COLUMNS = new Set(['language']);

const rejectedSchema = z.array(
  z.object({ row: z.number().int(), kpj: z.string().optional(), errors: z.array(z.string()) }),
);
const upsertResultSchema = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  rejected: rejectedSchema,
});
const paymentResultSchema = z.object({
  recorded: z.number().int(),
  duplicates: z.number().int(),
  rejected: rejectedSchema,
  warnings: z.array(z.object({ row: z.number().int(), reference: z.string(), message: z.string() })),
});
const historySchema = z.array(
  z.object({
    id: z.number().int(),
    direction: z.enum(['in', 'out']),
    type: z.string(),
    text: z.string().nullable(),
    templateName: z.string().nullable(),
    status: z.string(),
    errorCode: z.number().int().nullable(),
    occurredAt: z.string(),
    sentAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    readAt: z.string().nullable(),
    failedAt: z.string().nullable(),
  }),
);

// Rows are only required to be a list here: each row is validated on its own so that one bad row is
// reported in `rejected` instead of failing the request.
const envelope = <K extends string>(key: K) =>
  z.object({ [key]: z.array(z.unknown()) } as Record<K, z.ZodArray<z.ZodUnknown>>);

/** Per CSV request: problems found while reading rows, by 0-based row index. */
const csvRowProblems = new WeakMap<FastifyRequest, Map<number, string>>();

const columnKey = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, '');

/**
 * Turns a CSV body into the JSON envelope of the route before validation, so both forms share one path.
 * Column names match regardless of case, spaces, `_` and `-` (`birth_date`, `BirthDate`). A JSON list past
 * IMPORT_MAX_ROWS is refused here (a CSV one while it is read).
 */
function csvToEnvelope(key: string, columns: string[]) {
  const canonical = new Map(columns.map((c) => [columnKey(c), c]));
  return async (request: FastifyRequest): Promise<void> => {
    const table = request.body;
    if (!(table instanceof CsvTable)) {
      const list = (table as Record<string, unknown> | null)?.[key];
      if (Array.isArray(list) && list.length > IMPORT_MAX_ROWS) {
        throw new AppError('payload_too_large', msg('import.too_many_rows', { max: IMPORT_MAX_ROWS }));
      }
      return;
    }
    const header = table.header.map((h) => canonical.get(columnKey(h)) ?? h);
    const missing = columns.filter((c) => !OPTIONAL_COLUMNS.has(c) && !header.includes(c));
    if (missing.length > 0) {
      throw new AppError('invalid_request', msg('csv.header_missing', { columns: missing }), {
        issues: missing.map((c) => ({ path: `body.header.${c}`, message: msg('csv.missing_column') })),
      });
    }
    const problems = new Map<number, string>();
    const rows = await mapInSlices(table.rows, (cells, index) => {
      const extra = cells.slice(header.length).filter((c) => c !== '');
      if (extra.length > 0) {
        problems.set(index, `row: has ${cells.length} cells but the header names ${header.length} columns`);
      }
      // fromEntries defines own properties, so a column named __proto__ cannot reach a prototype.
      return Object.fromEntries(header.flatMap((name, i) => (i < cells.length ? [[name, cells[i]!]] : [])));
    });
    csvRowProblems.set(request, problems);
    request.body = { [key]: rows };
  };
}

function actorOf(request: FastifyRequest): string {
  // Auth is the enclosing scope's: it leaves the key's holder on the request (apiKey.name; apiKeyName in the
  // original brief). Read structurally, so this room does not depend on the auth room's declarations.
  const r = request as { apiKey?: { name?: unknown }; apiKeyName?: unknown };
  const name = r.apiKey?.name ?? r.apiKeyName;
  return typeof name === 'string' && name !== '' ? `key:${name}` : 'api';
}

function importOptions(request: FastifyRequest) {
  const rowProblems = csvRowProblems.get(request);
  return { actor: actorOf(request), source: rowProblems ? ('csv' as const) : ('json' as const), rowProblems };
}

export const participantRoutes: FastifyPluginAsync<ParticipantRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  // Encapsulated: only this plugin's routes read CSV, with this room's reader.
  if (app.hasContentTypeParser('text/csv')) app.removeContentTypeParser('text/csv');
  app.addContentTypeParser('text/csv', async (request: FastifyRequest, payload: AsyncIterable<Buffer>) =>
    readCsv(payload, request.routeOptions.bodyLimit ?? IMPORT_BODY_LIMIT, IMPORT_MAX_ROWS),
  );

  app.post(
    '/api/participants',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      preValidation: csvToEnvelope('participants', PARTICIPANT_COLUMNS),
      schema: {
        body: envelope('participants'),
        response: { 200: upsertResultSchema },
      },
    },
    async (request) =>
      importParticipants(opts.db, request.body.participants, {
        ...importOptions(request),
        dataKey: opts.dataKey,
        timeZone: opts.timeZone,
      }),
  );

  app.post(
    '/api/bills',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      preValidation: csvToEnvelope('bills', BILL_COLUMNS),
      schema: { body: envelope('bills'), response: { 200: upsertResultSchema } },
    },
    async (request) => importBills(opts.db, request.body.bills, importOptions(request)),
  );

  app.post(
    '/api/payments',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      preValidation: csvToEnvelope('payments', PAYMENT_COLUMNS),
      schema: { body: envelope('payments'), response: { 200: paymentResultSchema } },
    },
    async (request) => importPayments(opts.db, request.body.payments, importOptions(request)),
  );

  app.get(
    '/api/participants/:kpj/messages',
    {
      schema: {
        params: z.object({ kpj: z.string().regex(KPJ_PATTERN, 'must be 11 digits') }),
        response: { 200: historySchema },
        errors: { 404: errorResponse('No participant with this KPJ') },
      },
    },
    async (request) => {
      const participant = await findParticipantByKpj(opts.db, request.params.kpj);
      if (!participant) throw new AppError('not_found', msg('participant.not_found'));
      return getMessageHistory(opts.db, participant);
    },
  );
};
