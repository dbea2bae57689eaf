import { auditLog, bills, type Db, participants, type Tx } from '../db/index.js';
import { localDate } from '../local-time.js';
import {
  type BillRecord,
  insertPaymentBatch,
  linkOrphanPayments,
  lockBills,
  paymentsByReference,
  recomputePaidState,
  upsertBillBatch,
} from './bills.repository.js';
import { hashBirthDate } from './birth-date.js';
import { type NumberChanges, releaseNumbers } from './numbers.js';
import {
  type ParticipantRecord,
  participantIdsByKpj,
  refreshStatistics,
  upsertParticipantBatch,
} from './participants.repository.js';
import {
  type BillRow,
  billRowSchema,
  checkRow,
  type ParticipantRow,
  type PaymentRow,
  participantRowSchema,
  paymentRowSchema,
} from './rows.js';
import { mapInSlices, timeSlices } from './slices.js';

export interface RejectedRow {
  /** 1-based position among the data rows of the request (a CSV header is not counted) */
  row: number;
  kpj?: string;
  errors: string[];
}

export interface UpsertResult {
  created: number;
  updated: number;
  rejected: RejectedRow[];
}

export interface PaymentWarning {
  row: number;
  reference: string;
  message: string;
}

export interface PaymentResult {
  recorded: number;
  duplicates: number;
  rejected: RejectedRow[];
  warnings: PaymentWarning[];
}

export interface ImportOptions {
  /** audit actor, e.g. 'key:branch-admin' */
  actor: string;
  source: 'json' | 'csv';
  /** problems found while reading rows (a CSV row with more cells than the header), by 0-based index */
  rowProblems?: ReadonlyMap<number, string>;
}

export interface ParticipantImportOptions {
  /** DATA_KEY: keys the birth-date hashes */
  dataKey: string;
  /** BUSINESS_TZ: a birth date after today there is refused */
  timeZone: string;
  /** the clock's reading; default: the system clock */
  now?: Date;
}

// Rows go to PostgreSQL in multi-row statements, each batch as one JSON parameter unpacked by
// jsonb_to_recordset: 100,000 rows become 100 round trips instead of 100,000, a statement's text does not
// grow with the batch, and building it costs next to nothing (a 500-row drizzle VALUES list took longer to
// build than to run). The batch size bounds how many rows one statement locks and how large one JSON
// parameter gets.
export const BATCH_SIZE = 1000;

interface Valid<T> {
  index: number;
  value: T;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Checks every row, in time slices (slices.ts): a register's worth is seconds of CPU. */
async function validateAll<T>(
  schema: Parameters<typeof checkRow<T>>[0],
  rows: unknown[],
  rejected: RejectedRow[],
  rowProblems?: ReadonlyMap<number, string>,
): Promise<Valid<T>[]> {
  const valid: Valid<T>[] = [];
  const pause = timeSlices();
  for (const [index, raw] of rows.entries()) {
    await pause();
    const check = checkRow(schema, raw);
    const problem = rowProblems?.get(index);
    if (check.ok && !problem) {
      valid.push({ index, value: check.value });
      continue;
    }
    const errors = [...(problem ? [problem] : []), ...(check.ok ? [] : check.errors)];
    const kpj = check.ok ? (check.value as { kpj?: string }).kpj : check.kpj;
    rejected.push(kpj ? { row: index + 1, kpj, errors } : { row: index + 1, errors });
  }
  return valid;
}

/**
 * Keeps the last valid row of each key, as if the rows had been applied one after another; each earlier
 * row is reported as rejected so that every row of the request is accounted for exactly once.
 */
async function lastWins<T extends { kpj: string }>(
  valid: Valid<T>[],
  keyOf: (v: T) => string,
  what: string,
  rejected: RejectedRow[],
): Promise<Valid<T>[]> {
  const pause = timeSlices();
  const last = new Map<string, number>();
  for (const v of valid) {
    last.set(keyOf(v.value), v.index);
    await pause();
  }
  const kept: Valid<T>[] = [];
  for (const v of valid) {
    await pause();
    const winner = last.get(keyOf(v.value))!;
    if (winner === v.index) {
      kept.push(v);
      continue;
    }
    rejected.push({
      row: v.index + 1,
      kpj: v.value.kpj,
      errors: [`${what}: repeated in row ${winner + 1} of this request, which replaces this row`],
    });
  }
  return kept;
}

const byRow = (a: RejectedRow, b: RejectedRow) => a.row - b.row;

async function audit(tx: Tx, actor: string, action: string, details: Record<string, unknown>): Promise<void> {
  await tx.insert(auditLog).values({ actor, action, details });
}

/** Upserts participants on kpj. Birth dates are hashed here and go no further. */
export async function importParticipants(
  db: Db,
  rows: unknown[],
  opts: ImportOptions & ParticipantImportOptions,
): Promise<UpsertResult> {
  const rejected: RejectedRow[] = [];
  const today = localDate(opts.now ?? new Date(), opts.timeZone);
  const valid = await lastWins(
    await validateAll<ParticipantRow>(participantRowSchema(today), rows, rejected, opts.rowProblems),
    (v) => v.kpj,
    'kpj',
    rejected,
  );
  const records = await mapInSlices(valid, ({ value: v }): ParticipantRecord => {
    const record: ParticipantRecord = {
      kpj: v.kpj,
      name: v.name,
      wa_id: v.phone,
      birth_date_hash: hashBirthDate(v.birthDate, opts.dataKey),
      category: v.category,
    };
    if (v.language) record.language = v.language;
    return record;
  });

  let created = 0;
  await db.transaction(async (tx) => {
    const changes: NumberChanges = { moved: [], linked: [] };
    for (const batch of chunks(records, BATCH_SIZE)) {
      for (const withLanguage of [true, false]) {
        const upserted = await upsertParticipantBatch(
          tx,
          batch.filter((r) => (r.language !== undefined) === withLanguage),
          withLanguage,
        );
        created += upserted.created;
        changes.moved.push(...upserted.moved);
        changes.linked.push(...upserted.linked);
      }
    }
    // once, after every batch: a number one batch takes from A and a later one gives to B moved from A to B
    await releaseNumbers(tx, changes, opts.actor);
    await audit(tx, opts.actor, 'participants.import', {
      source: opts.source,
      rows: rows.length,
      created,
      updated: records.length - created,
      rejected: rejected.length,
    });
  });
  await refreshStatistics(db, participants, records.length);
  return { created, updated: records.length - created, rejected: rejected.sort(byRow) };
}

/**
 * Upserts bills on (participant, period). A changed amount re-derives the paid state from the payments,
 * so a paid bill stays paid unless its new amount is more than was paid.
 */
export async function importBills(db: Db, rows: unknown[], opts: ImportOptions): Promise<UpsertResult> {
  const rejected: RejectedRow[] = [];
  const valid = await lastWins(
    await validateAll<BillRow>(billRowSchema, rows, rejected, opts.rowProblems),
    (v) => `${v.kpj}/${v.period}`,
    'period',
    rejected,
  );

  let created = 0;
  let updated = 0;
  await db.transaction(async (tx) => {
    for (const batch of chunks(valid, BATCH_SIZE)) {
      const ids = await participantIdsByKpj(
        tx,
        batch.map((v) => v.value.kpj),
      );
      const known: BillRecord[] = [];
      for (const { index, value } of batch) {
        const participantId = ids.get(value.kpj);
        if (participantId === undefined) {
          rejected.push({ row: index + 1, kpj: value.kpj, errors: ['kpj: no participant with this KPJ'] });
        } else {
          known.push({
            participant_id: participantId,
            period: value.period,
            amount: value.amount,
            due_date: value.dueDate,
            payment_code: value.paymentCode,
          });
        }
      }
      if (known.length === 0) continue;
      const returned = await upsertBillBatch(tx, known);
      for (const r of returned) {
        if (r.inserted) created++;
        else updated++;
      }
      const billIds = returned.map((r) => r.id);
      await linkOrphanPayments(tx, billIds);
      await recomputePaidState(tx, billIds);
    }
    await audit(tx, opts.actor, 'bills.import', {
      source: opts.source,
      rows: rows.length,
      created,
      updated,
      rejected: rejected.length,
    });
  });
  await refreshStatistics(db, bills, created + updated);
  return { created, updated, rejected: rejected.sort(byRow) };
}

const NO_BILL_YET =
  'no bill for this period yet: the payment is recorded and applied when the bill is imported';
const CONFLICTING_REPLAY =
  'reference already recorded with a different kpj, period or amount: the first record is kept';

/**
 * Records payments, idempotent on reference: a reference already stored (by an earlier request, an earlier
 * row, or a request racing this one) is a duplicate and changes nothing. Bills the payments cover become
 * paid in the same transaction.
 */
export async function importPayments(db: Db, rows: unknown[], opts: ImportOptions): Promise<PaymentResult> {
  const rejected: RejectedRow[] = [];
  const warnings: PaymentWarning[] = [];
  const valid = await validateAll<PaymentRow>(paymentRowSchema, rows, rejected, opts.rowProblems);

  let recorded = 0;
  let duplicates = 0;
  await db.transaction(async (tx) => {
    for (const batch of chunks(valid, BATCH_SIZE)) {
      const ids = await participantIdsByKpj(
        tx,
        batch.map((v) => v.value.kpj),
      );
      const known: (Valid<PaymentRow> & { participantId: number })[] = [];
      for (const v of batch) {
        const participantId = ids.get(v.value.kpj);
        if (participantId === undefined) {
          rejected.push({
            row: v.index + 1,
            kpj: v.value.kpj,
            errors: ['kpj: no participant with this KPJ'],
          });
        } else {
          known.push({ ...v, participantId });
        }
      }
      if (known.length === 0) continue;

      const pairs = known.map((k) => ({ participant_id: k.participantId, period: k.value.period }));
      const billIdOf = new Map(
        (await lockBills(tx, pairs)).map((b) => [`${b.participantId}/${b.period}`, b.id]),
      );
      const inserted = await insertPaymentBatch(
        tx,
        known.map((k, n) => ({
          n,
          reference: k.value.reference,
          participant_id: k.participantId,
          bill_id: billIdOf.get(`${k.participantId}/${k.value.period}`) ?? null,
          period: k.value.period,
          amount: k.value.amount,
          paid_at: k.value.paidAt.toISOString(),
          channel: k.value.channel,
        })),
      );

      // Rows are inserted in request order, so of rows sharing a reference only the first can be the new one.
      const fresh = new Set(inserted.map((r) => r.reference));
      const dupes: typeof known = [];
      for (const k of known) {
        if (fresh.delete(k.value.reference)) {
          recorded++;
          if (!billIdOf.has(`${k.participantId}/${k.value.period}`)) {
            warnings.push({ row: k.index + 1, reference: k.value.reference, message: NO_BILL_YET });
          }
        } else {
          duplicates++;
          dupes.push(k);
        }
      }

      if (dupes.length > 0) {
        const stored = await paymentsByReference(
          tx,
          dupes.map((d) => d.value.reference),
        );
        const byReference = new Map(stored.map((s) => [s.reference, s]));
        for (const d of dupes) {
          const s = byReference.get(d.value.reference);
          if (
            s &&
            (s.participantId !== d.participantId ||
              s.period !== d.value.period ||
              s.amount !== d.value.amount)
          ) {
            warnings.push({ row: d.index + 1, reference: d.value.reference, message: CONFLICTING_REPLAY });
          }
        }
      }

      const billIds = [...new Set(inserted.flatMap((r) => (r.billId === null ? [] : [r.billId])))];
      await recomputePaidState(tx, billIds);
    }
    await audit(tx, opts.actor, 'payments.import', {
      source: opts.source,
      rows: rows.length,
      recorded,
      duplicates,
      rejected: rejected.length,
      warnings: warnings.length,
    });
  });
  // payments mark bills paid, and the audience reads only unpaid ones
  await refreshStatistics(db, bills, recorded);
  return {
    recorded,
    duplicates,
    rejected: rejected.sort(byRow),
    warnings: warnings.sort((a, b) => a.row - b.row),
  };
}
