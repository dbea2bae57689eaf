import { inArray, sql } from 'drizzle-orm';
import { auditLog, bills, contactLinks, type Db, participants, payments, type Tx } from '../db/index.js';
import { hashBirthDate } from './birth-date.js';
import { type NumberChanges, type NumberMove, releaseNumbers } from './numbers.js';
import { linkOrphanPayments, queryRows, recomputePaidState } from './queries.js';
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

async function participantIdsByKpj(tx: Tx, kpjs: string[]): Promise<Map<string, number>> {
  if (kpjs.length === 0) return new Map();
  const found = await queryRows<{ id: number; kpj: string }>(
    tx,
    sql`select id, kpj from ${participants}
        where kpj in (select value from jsonb_array_elements_text(${JSON.stringify([...new Set(kpjs)])}::jsonb))`,
  );
  return new Map(found.map((p) => [p.kpj, p.id]));
}

async function audit(tx: Tx, actor: string, action: string, details: Record<string, unknown>): Promise<void> {
  await tx.insert(auditLog).values({ actor, action, details });
}

interface ParticipantRecord {
  kpj: string;
  name: string;
  wa_id: string;
  birth_date_hash: string;
  category: 'BPU' | 'PU';
  language?: 'id' | 'en' | 'jv';
}

/**
 * Upserts one batch; answers how many rows were new, the participants whose registered number changed and
 * the numbers it registered that an officer had linked (what those numbers held ends: see releaseNumbers).
 */
async function upsertParticipants(
  tx: Tx,
  rows: ParticipantRecord[],
  withLanguage: boolean,
): Promise<{ created: number } & NumberChanges> {
  if (rows.length === 0) return { created: 0, moved: [], linked: [] };
  // A row without a language must keep the participant's chosen one (and get the column default when
  // new), hence two statement shapes.
  const columns = withLanguage
    ? sql`kpj, name, wa_id, birth_date_hash, category, language`
    : sql`kpj, name, wa_id, birth_date_hash, category`;
  const result = await queryRows<{ created: number; moved: NumberMove[] | null; linked: string[] | null }>(
    tx,
    sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(kpj text, name text, wa_id text, birth_date_hash text, category text, language text)
    ), prior as (
      select ${participants.kpj} as kpj, ${participants.waId} as wa_id from ${participants}
      where ${participants.kpj} in (select kpj from input)
    ), upserted as (
      insert into ${participants} (${columns})
      select ${columns} from input
      on conflict (kpj) do update set
        name = excluded.name,
        wa_id = excluded.wa_id,
        birth_date_hash = excluded.birth_date_hash,
        category = excluded.category,
        ${withLanguage ? sql`language = excluded.language,` : sql``}
        -- a new number may well be on WhatsApp: the 131026 mark was the old number's
        whatsapp_unreachable_at = case when ${participants.waId} = excluded.wa_id
          then ${participants.whatsappUnreachableAt} end,
        updated_at = now()
      -- xmax is 0 only on a row version this statement inserted; an updated row carries our transaction id
      returning id, kpj, wa_id, (xmax = 0) as inserted
    )
    select (count(*) filter (where u.inserted))::integer as created,
      jsonb_agg(jsonb_build_object('participantId', u.id, 'kpj', u.kpj, 'from', p.wa_id, 'to', u.wa_id))
        filter (where p.wa_id <> u.wa_id) as moved,
      -- numbers an officer had linked to someone, now someone's registered number
      jsonb_agg(u.wa_id) filter (where exists (
        select 1 from ${contactLinks} l where l.contact_key = u.wa_id)) as linked
    from upserted u left join prior p on p.kpj = u.kpj`,
  );
  const row = result[0];
  return { created: row?.created ?? 0, moved: row?.moved ?? [], linked: row?.linked ?? [] };
}

/** Upserts participants on kpj. Birth dates are hashed here and go no further. */
export async function importParticipants(
  db: Db,
  rows: unknown[],
  opts: ImportOptions & { dataKey: string },
): Promise<UpsertResult> {
  const rejected: RejectedRow[] = [];
  const valid = await lastWins(
    await validateAll<ParticipantRow>(participantRowSchema, rows, rejected, opts.rowProblems),
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
        const upserted = await upsertParticipants(
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
      const known: {
        participant_id: number;
        period: string;
        amount: number;
        due_date: string;
        payment_code: string;
      }[] = [];
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
      // Inserted in the order the payment import locks bills in, so the two never wait on each other in a cycle.
      const returned = await queryRows<{ id: number; inserted: boolean }>(
        tx,
        sql`
        insert into ${bills} (participant_id, period, amount, due_date, payment_code)
        select participant_id, period, amount, due_date, payment_code
        from jsonb_to_recordset(${JSON.stringify(known)}::jsonb)
          as x(participant_id integer, period text, amount bigint, due_date date, payment_code text)
        order by participant_id, period
        on conflict (participant_id, period) do update set
          amount = excluded.amount,
          due_date = excluded.due_date,
          payment_code = excluded.payment_code,
          updated_at = now()
        returning id, (xmax = 0) as inserted`,
      );
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

      // Locking the bills first serialises concurrent payments for one bill: the second transaction waits,
      // then sees the first one's payments when it recomputes, so a bill covered by two parallel payments
      // still ends up paid.
      const pairs = known.map((k) => ({ participant_id: k.participantId, period: k.value.period }));
      const billRows = await queryRows<{ id: number; participant_id: number; period: string }>(
        tx,
        sql`
        select b.id, b.participant_id, b.period from ${bills} as b
        where (b.participant_id, b.period) in (
          select participant_id, period
          from jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) as x(participant_id integer, period text)
        )
        order by b.participant_id, b.period
        for update`,
      );
      const billIdOf = new Map(billRows.map((b) => [`${b.participant_id}/${b.period}`, b.id]));

      const inserted = await queryRows<{ reference: string; bill_id: number | null }>(
        tx,
        sql`
        insert into ${payments} (reference, participant_id, bill_id, period, amount, paid_at, channel)
        select reference, participant_id, bill_id, period, amount, paid_at, channel
        from jsonb_to_recordset(${JSON.stringify(
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
        )}::jsonb)
          as x(n integer, reference text, participant_id integer, bill_id integer, period text, amount bigint,
               paid_at timestamptz, channel text)
        order by n
        on conflict (reference) do nothing
        returning reference, bill_id`,
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
        const stored = await tx
          .select({
            reference: payments.reference,
            participantId: payments.participantId,
            period: payments.period,
            amount: payments.amount,
          })
          .from(payments)
          .where(
            inArray(
              payments.reference,
              dupes.map((d) => d.value.reference),
            ),
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

      const billIds = [...new Set(inserted.flatMap((r) => (r.bill_id === null ? [] : [r.bill_id])))];
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
  return {
    recorded,
    duplicates,
    rejected: rejected.sort(byRow),
    warnings: warnings.sort((a, b) => a.row - b.row),
  };
}
