import { and, asc, eq, isNull, type SQL, sql } from 'drizzle-orm';
import { bills, type Db, participants, payments, type Tx } from '../db/index.js';

export type Participant = typeof participants.$inferSelect;
type Queryable = Db | Tx;

export { queryRows } from '../db/index.js';

/**
 * A list of ids as one bind parameter: statements stay the same size whatever the batch, and PostgreSQL's
 * limit of 65,535 parameters a statement never comes into play.
 */
export const idsParam = (ids: number[]): SQL =>
  sql`(select value::integer from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

export async function findParticipantByKpj(db: Queryable, kpj: string): Promise<Participant | null> {
  const [row] = await db.select().from(participants).where(eq(participants.kpj, kpj)).limit(1);
  return row ?? null;
}

/**
 * All participants registered on a number, oldest registration first: families often register several
 * members on one phone, so a wa_id alone does not always name one person.
 */
export async function findParticipantsByWaId(db: Queryable, waId: string): Promise<Participant[]> {
  return db.select().from(participants).where(eq(participants.waId, waId)).orderBy(asc(participants.id));
}

/** The participant registered on a number; where several share it, the earliest registered. */
export async function findParticipantByWaId(db: Queryable, waId: string): Promise<Participant | null> {
  const [row] = await db
    .select()
    .from(participants)
    .where(eq(participants.waId, waId))
    .orderBy(asc(participants.id))
    .limit(1);
  return row ?? null;
}

export interface UnpaidBill {
  period: string;
  amount: number;
  /** amount minus the payments already recorded against the bill */
  outstanding: number;
  dueDate: string;
  paymentCode: string;
}

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

/**
 * Attaches payments recorded before their bill existed (billId null) to the bills now present for the
 * same participant and period.
 */
export async function linkOrphanPayments(tx: Tx, billIds: number[]): Promise<void> {
  if (billIds.length === 0) return;
  await tx.execute(sql`
    update ${payments} as p set bill_id = b.id
    from ${bills} as b
    where p.bill_id is null and p.participant_id = b.participant_id and p.period = b.period
      and b.id in ${idsParam(billIds)}`);
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
      select p.bill_id, p.paid_at,
        sum(p.amount) over (partition by p.bill_id order by p.paid_at, p.id) as total
      from ${payments} as p
      where p.bill_id in ${ids}
    ),
    covered as (
      select b.id, min(r.paid_at) filter (where r.total >= b.amount) as covered_at
      from ${bills} as b
      left join running as r on r.bill_id = b.id
      where b.id in ${ids}
      group by b.id
    ),
    target as (
      select b.id, case when c.covered_at is null then null else coalesce(b.paid_at, c.covered_at) end as paid_at
      from ${bills} as b join covered as c on c.id = b.id
    )
    update ${bills} as b
    set paid_at = t.paid_at, updated_at = now()
    from target as t
    where b.id = t.id and b.paid_at is distinct from t.paid_at`);
}
