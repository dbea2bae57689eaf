import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { bills, col, cols, type Db, payments, queryRows, type Tx } from '../db/index.js';
import { idsParam } from './participants.repository.js';

// Every statement on `bills` and `payments`: the participants room owns their writes (the imports) and
// answers what a participant owes.

export type Bill = typeof bills.$inferSelect;
export type Payment = typeof payments.$inferSelect;
type Queryable = Db | Tx;

export type UnpaidBill = Pick<Bill, 'period' | 'amount' | 'dueDate' | 'paymentCode'> & {
  /** amount minus the payments already recorded against the bill */
  outstanding: number;
};

export interface Balance {
  unpaid: UnpaidBill[];
  total: number;
  earliestDueDate: string | null;
}

/** What a participant still owes, oldest period first, derived from bills and payments each time. */
export async function getBalance(db: Queryable, participantId: number): Promise<Balance> {
  const rows = await db
    .select({
      period: bills.period,
      amount: bills.amount,
      dueDate: bills.dueDate,
      paymentCode: bills.paymentCode,
      paid: sql<number>`coalesce(sum(${payments.amount}), 0)`.mapWith(Number),
    })
    .from(bills)
    .leftJoin(payments, eq(payments.billId, bills.id))
    .where(and(eq(bills.participantId, participantId), isNull(bills.paidAt)))
    .groupBy(bills.id)
    .orderBy(asc(bills.period));
  const unpaid = rows.map((r) => ({
    period: r.period,
    amount: r.amount,
    outstanding: Math.max(0, r.amount - r.paid),
    dueDate: r.dueDate,
    paymentCode: r.paymentCode,
  }));
  const total = unpaid.reduce((sum, b) => sum + b.outstanding, 0);
  const earliestDueDate = unpaid.reduce<string | null>(
    (min, b) => (min === null || b.dueDate < min ? b.dueDate : min),
    null,
  );
  return { unpaid, total, earliestDueDate };
}

/** A participant's latest payments, newest first. */
export async function recentPayments(
  db: Queryable,
  participantId: number,
  limit: number,
): Promise<Pick<Payment, 'reference' | 'period' | 'amount' | 'paidAt' | 'channel'>[]> {
  return db
    .select({
      reference: payments.reference,
      period: payments.period,
      amount: payments.amount,
      paidAt: payments.paidAt,
      channel: payments.channel,
    })
    .from(payments)
    .where(eq(payments.participantId, participantId))
    .orderBy(desc(payments.paidAt))
    .limit(limit);
}

/** One imported bill, as the upsert takes it. */
export interface BillRecord {
  participant_id: number;
  period: string;
  amount: number;
  due_date: string;
  payment_code: string;
}

/**
 * Upserts bills on (participant, period); answers each one's id and whether it is new. Inserted in the
 * order the payment import locks bills in, so the two never wait on each other in a cycle.
 */
export async function upsertBillBatch(
  tx: Tx,
  records: BillRecord[],
): Promise<{ id: Bill['id']; inserted: boolean }[]> {
  const b = bills;
  return queryRows(
    tx,
    sql`
    insert into ${b} (${cols(b.participantId, b.period, b.amount, b.dueDate, b.paymentCode)})
    select participant_id, period, amount, due_date, payment_code
    from jsonb_to_recordset(${JSON.stringify(records)}::jsonb)
      as x(participant_id integer, period text, amount bigint, due_date date, payment_code text)
    order by participant_id, period
    on conflict (${cols(b.participantId, b.period)}) do update set
      ${col(b.amount)} = excluded.${col(b.amount)},
      ${col(b.dueDate)} = excluded.${col(b.dueDate)},
      ${col(b.paymentCode)} = excluded.${col(b.paymentCode)},
      ${col(b.updatedAt)} = now()
    returning ${col(b.id)} as id, (xmax = 0) as inserted`,
  );
}

/**
 * Locks the bills of these (participant, period) pairs, in one order. Locking the bills first serialises
 * concurrent payments for one bill: the second transaction waits, then sees the first one's payments when
 * it recomputes, so a bill covered by two parallel payments still ends up paid.
 */
export async function lockBills(
  tx: Tx,
  pairs: { participant_id: number; period: string }[],
): Promise<Pick<Bill, 'id' | 'participantId' | 'period'>[]> {
  return queryRows(
    tx,
    sql`
    select ${bills.id} as id, ${bills.participantId} as "participantId", ${bills.period} as period
    from ${bills}
    where (${bills.participantId}, ${bills.period}) in (
      select participant_id, period
      from jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) as x(participant_id integer, period text)
    )
    order by ${bills.participantId}, ${bills.period}
    for update`,
  );
}

/** One imported payment, as the insert takes it; `n` is its place in the request. */
export interface PaymentRecord {
  n: number;
  reference: string;
  participant_id: number;
  bill_id: number | null;
  period: string;
  amount: number;
  paid_at: string;
  channel: string;
}

/**
 * Records payments in request order, once per reference: answers those stored now (a reference already
 * stored, by an earlier request, an earlier row or a request racing this one, is left as it was).
 */
export async function insertPaymentBatch(
  tx: Tx,
  records: PaymentRecord[],
): Promise<Pick<Payment, 'reference' | 'billId'>[]> {
  const p = payments;
  return queryRows(
    tx,
    sql`
    insert into ${p} (${cols(p.reference, p.participantId, p.billId, p.period, p.amount, p.paidAt, p.channel)})
    select reference, participant_id, bill_id, period, amount, paid_at, channel
    from jsonb_to_recordset(${JSON.stringify(records)}::jsonb)
      as x(n integer, reference text, participant_id integer, bill_id integer, period text, amount bigint,
           paid_at timestamptz, channel text)
    order by n
    on conflict (${col(p.reference)}) do nothing
    returning ${col(p.reference)} as reference, ${col(p.billId)} as "billId"`,
  );
}

/** The payments stored under these references, as first recorded. */
export async function paymentsByReference(
  tx: Queryable,
  references: string[],
): Promise<Pick<Payment, 'reference' | 'participantId' | 'period' | 'amount'>[]> {
  return tx
    .select({
      reference: payments.reference,
      participantId: payments.participantId,
      period: payments.period,
      amount: payments.amount,
    })
    .from(payments)
    .where(inArray(payments.reference, references));
}

/**
 * Attaches payments recorded before their bill existed (billId null) to the bills now present for the
 * same participant and period.
 */
export async function linkOrphanPayments(tx: Tx, billIds: number[]): Promise<void> {
  if (billIds.length === 0) return;
  await tx.execute(sql`
    update ${payments} set ${col(payments.billId)} = ${bills.id}
    from ${bills}
    where ${payments.billId} is null and ${payments.participantId} = ${bills.participantId}
      and ${payments.period} = ${bills.period} and ${bills.id} in ${idsParam(billIds)}`);
}

/**
 * Sets or clears bills.paid_at from the payments recorded against each bill: a bill is paid once the running
 * sum of its payments (in paidAt order) reaches its amount, at the paidAt of the payment that got there.
 * A bill already paid and still covered keeps its original paid_at.
 */
export async function recomputePaidState(tx: Tx, billIds: number[]): Promise<void> {
  if (billIds.length === 0) return;
  const ids = idsParam(billIds);
  await tx.execute(sql`
    with running as (
      select ${payments.billId} as bill_id, ${payments.paidAt} as paid_at,
        sum(${payments.amount}) over (partition by ${payments.billId} order by ${payments.paidAt}, ${payments.id})
          as total
      from ${payments}
      where ${payments.billId} in ${ids}
    ),
    covered as (
      select ${bills.id} as id, min(r.paid_at) filter (where r.total >= ${bills.amount}) as covered_at
      from ${bills}
      left join running as r on r.bill_id = ${bills.id}
      where ${bills.id} in ${ids}
      group by ${bills.id}
    ),
    target as (
      select ${bills.id} as id,
        case when c.covered_at is null then null else coalesce(${bills.paidAt}, c.covered_at) end as paid_at
      from ${bills} join covered as c on c.id = ${bills.id}
    )
    update ${bills}
    set ${col(bills.paidAt)} = t.paid_at, ${col(bills.updatedAt)} = now()
    from target as t
    where ${bills.id} = t.id and ${bills.paidAt} is distinct from t.paid_at`);
}
