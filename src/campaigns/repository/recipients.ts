import { sql } from 'drizzle-orm';
import {
  bills,
  type Campaign,
  type CampaignRecipient,
  campaignRecipients,
  campaigns,
  col,
  type Db,
  handoffs,
  jsonParam,
  messages,
  participants,
  payments,
  queryRows,
  statement,
  type Tx,
} from '../../db/index.js';
import { b, c, currentMessage, h, m, num, p, r, y } from './tables.js';

// Recipient rows: the campaigns room writes them; the sender's guard and outcomes read and move them.
// The statements run for every batch of a blast have their text built once (`statement`).

type Queryable = Db | Tx;
const R = campaignRecipients;

/** A reminder, as the runner claims it and its origin names it. */
export type Reminder = Pick<CampaignRecipient, 'id' | 'participantId' | 'billId' | 'attempts'>;
/** A reminder's current attempt, as a message's origin names it. */
export interface ReminderKey {
  id: number;
  attempt: number;
}

type RawReminder = Record<keyof Reminder, string | number>;
const reminderColumns = sql`${r.id} as "id", ${r.participantId} as "participantId", ${r.billId} as "billId",
  ${r.attempts} as "attempts"`;
const toReminder = (x: RawReminder): Reminder => ({
  id: num(x.id),
  participantId: num(x.participantId),
  billId: num(x.billId),
  attempts: num(x.attempts),
});
const keysParam = (keys: readonly ReminderKey[]) => JSON.stringify(keys);

const claimStatement = statement(
  (campaignId, at, room) => sql`update ${R} ${r} set ${col(R.status)} = 'queued', ${col(R.queuedAt)} = now()
    where ${r.id} in (
      select ${R.id} from ${R}
      where ${R.campaignId} = ${campaignId} and ${R.status} = 'pending'
        and (${R.notBefore} is null or ${R.notBefore} <= ${at}::timestamptz)
      order by ${R.id} limit ${room}
      for update skip locked)
    returning ${reminderColumns}`,
);

/** Up to `room` pending reminders (oldest first, none held for later), moved to 'queued'. */
export async function claimPending(
  db: Queryable,
  campaignId: number,
  room: number,
  at: Date,
): Promise<Reminder[]> {
  const claimed = await queryRows<RawReminder>(db, claimStatement(campaignId, at.toISOString(), room));
  return claimed.map(toReminder);
}

const inFlightStatement = statement(
  (campaignId) => sql`select count(*) as n from ${R}
    where ${R.campaignId} = ${campaignId} and ${R.status} = 'queued' and ${R.settledAt} is null`,
);

/** Reminders handed to the sender whose message has not left it yet (the partial index keeps this small). */
export async function countInFlight(db: Queryable, campaignId: number): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(db, inFlightStatement(campaignId));
  return num(row?.n);
}

const orphanStatement = statement(
  (campaignId, age, limit) => sql`select ${reminderColumns} from ${R} ${r}
    where ${r.campaignId} = ${campaignId} and ${r.status} = 'queued' and ${r.settledAt} is null
      and ${r.queuedAt} < now() - ${age}::interval
      and not exists (select 1 from ${messages} ${m} where ${currentMessage})
    order by ${r.id} limit ${limit}`,
);

/** Claimed longer than `seconds` ago and still without a message (a crash between claim and enqueue). */
export async function claimedWithoutMessage(
  db: Queryable,
  campaignId: number,
  seconds: number,
  limit: number,
): Promise<Reminder[]> {
  const found = await queryRows<RawReminder>(db, orphanStatement(campaignId, `${seconds} seconds`, limit));
  return found.map(toReminder);
}

/** Recipient rows of the audience's participants up to `last` (the part of the audience written). */
export async function countWrittenThrough(db: Queryable, campaignId: number, last: number): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    db,
    sql`select count(*) as n from ${R} where ${R.campaignId} = ${campaignId} and ${R.participantId} <= ${last}`,
  );
  return num(row?.n);
}

const openStatement = statement(
  (campaignId) => sql`select exists (select 1 from ${R} where ${R.campaignId} = ${campaignId}
    and (${R.status} = 'pending' or (${R.status} = 'queued' and ${R.settledAt} is null))) as open`,
);

/** Something is left to send: a pending reminder or one whose message has not left the sender. */
export async function hasOpenReminders(db: Queryable, campaignId: number): Promise<boolean> {
  const [row] = await queryRows<{ open: boolean }>(db, openStatement(campaignId));
  return row?.open === true;
}

/** A queued reminder (this attempt) that will not be sent: skipped with its reason and settled. */
export async function skipReminder(db: Queryable, key: ReminderKey, reason: string): Promise<boolean> {
  const moved = await queryRows<{ id: string | number }>(
    db,
    sql`update ${R} set ${col(R.status)} = 'skipped', ${col(R.skipReason)} = ${reason},
        ${col(R.skippedAt)} = now(), ${col(R.settledAt)} = now()
      where ${R.id} = ${key.id} and ${R.attempts} = ${key.attempt} and ${R.status} = 'queued'
      returning ${R.id}`,
  );
  return moved.length > 0;
}

/** Back to pending as its next attempt (a new message, a new dedupe key), not before `notBefore`. */
export async function requeueReminder(
  db: Queryable,
  key: ReminderKey,
  notBefore: Date | null,
): Promise<boolean> {
  const moved = await queryRows<{ id: string | number }>(
    db,
    sql`update ${R} set ${col(R.status)} = 'pending', ${col(R.settledAt)} = null, ${col(R.queuedAt)} = null,
        ${col(R.attempts)} = ${R.attempts} + 1,
        ${col(R.notBefore)} = ${notBefore?.toISOString() ?? null}::timestamptz
      where ${R.id} = ${key.id} and ${R.attempts} = ${key.attempt} and ${R.status} = 'queued'
      returning ${R.id}`,
  );
  return moved.length > 0;
}

const settleStatement = statement(
  (keys) => sql`update ${R} ${r} set ${col(R.settledAt)} = now()
    from jsonb_to_recordset(${keys}::jsonb) as x(id bigint, attempt integer)
    where ${r.id} = x.id and ${r.attempts} = x.attempt and ${r.status} = 'queued' and ${r.settledAt} is null`,
);

/** These attempts' messages left the sender: the reminders are no longer in flight. */
export async function settleReminders(db: Queryable, keys: readonly ReminderKey[]): Promise<void> {
  if (keys.length === 0) return;
  await db.execute(settleStatement(keysParam(keys)));
}

/** A reminder whose current attempt these keys name, with what its outcome may act on. */
export type ReminderOfCampaign = Pick<CampaignRecipient, 'id' | 'campaignId' | 'participantId' | 'attempts'> &
  Pick<Campaign, 'templateName' | 'templateCategory'>;

/** The reminders these keys name, when the key is still their current attempt. */
export async function remindersOf(
  db: Queryable,
  keys: readonly ReminderKey[],
): Promise<Map<number, ReminderOfCampaign>> {
  if (keys.length === 0) return new Map();
  const found = await queryRows<Record<keyof ReminderOfCampaign, string | number>>(
    db,
    sql`select ${r.id} as "id", ${r.campaignId} as "campaignId", ${r.participantId} as "participantId",
        ${r.attempts} as "attempts", ${c.templateName} as "templateName",
        ${c.templateCategory} as "templateCategory"
      from jsonb_to_recordset(${keysParam(keys)}::jsonb) as x(id bigint, attempt integer)
      join ${R} ${r} on ${r.id} = x.id and ${r.attempts} = x.attempt
      join ${campaigns} ${c} on ${c.id} = ${r.campaignId}`,
  );
  return new Map(
    found.map((f) => [
      num(f.id),
      {
        id: num(f.id),
        campaignId: num(f.campaignId),
        participantId: num(f.participantId),
        attempts: num(f.attempts),
        templateName: String(f.templateName),
        templateCategory: f.templateCategory as Campaign['templateCategory'],
      },
    ]),
  );
}

/** What the pre-send guard decides on, for one reminder. */
export type GuardFacts = Pick<CampaignRecipient, 'id' | 'status' | 'attempts' | 'skipReason'> & {
  campaignStatus: Campaign['status'];
  paid: boolean;
  optedOut: boolean;
  unreachable: boolean;
  /** an officer holds (or is asked to hold) the conversation with this contact */
  handoff: boolean;
};

const guardStatement = statement(
  (input) => sql`select ${r.id} as "id", ${r.status} as "status", ${r.attempts} as "attempts",
      ${r.skipReason} as "skipReason", ${c.status} as "campaignStatus",
      ${b.paidAt} is not null as "paid", ${p.optedOut} as "optedOut",
      ${p.whatsappUnreachableAt} is not null as "unreachable",
      exists (select 1 from ${handoffs} ${h}
              where ${h.contactKey} = x.contact_key and ${h.status} <> 'resolved') as "handoff"
    from jsonb_to_recordset(${input}::jsonb) as x(id bigint, contact_key text)
    join ${R} ${r} on ${r.id} = x.id
    join ${campaigns} ${c} on ${c.id} = ${r.campaignId}
    join ${bills} ${b} on ${b.id} = ${r.billId}
    join ${participants} ${p} on ${p.id} = ${r.participantId}`,
);

/** The guard's facts of every reminder about to be sent, in one query. */
export async function guardFacts(
  db: Queryable,
  wanted: readonly { id: number; contactKey: string }[],
): Promise<Map<number, GuardFacts>> {
  if (wanted.length === 0) return new Map();
  const input = wanted.map((w) => ({ id: w.id, contact_key: w.contactKey }));
  const facts = await queryRows<GuardFacts>(db, guardStatement(JSON.stringify(input)));
  return new Map(facts.map((f) => [num(f.id), { ...f, id: num(f.id), attempts: num(f.attempts) }]));
}

/** An unpaid bill of a participant about to be reminded, with what the template needs. */
export interface UnpaidOfParticipant {
  participantId: number;
  name: string;
  language: (typeof participants.$inferSelect)['language'];
  waId: string;
  billId: number;
  period: string;
  dueDate: string;
  outstanding: number;
}

const unpaidStatement = statement(
  (ids) => sql`select ${p.id} as "participantId", ${p.name} as "name", ${p.language} as "language",
      ${p.waId} as "waId", ${b.id} as "billId", ${b.period} as "period",
      to_char(${b.dueDate}, 'YYYY-MM-DD') as "dueDate",
      greatest(${b.amount} - coalesce(
        (select sum(${y.amount}) from ${payments} ${y} where ${y.billId} = ${b.id}), 0), 0) as "outstanding"
    from ${participants} ${p}
    join ${bills} ${b} on ${b.participantId} = ${p.id} and ${b.paidAt} is null
    where ${p.id} in (select value::integer from jsonb_array_elements_text(${ids}::jsonb))
    order by ${p.id}, ${b.period}`,
);

/** Every unpaid bill of these participants, oldest period first, with what is still owed on each. */
export async function unpaidBillsOf(
  db: Queryable,
  participantIds: readonly number[],
): Promise<UnpaidOfParticipant[]> {
  const found = await queryRows<Record<keyof UnpaidOfParticipant, string | number>>(
    db,
    unpaidStatement(jsonParam(participantIds)),
  );
  return found.map((f) => ({
    participantId: num(f.participantId),
    name: String(f.name),
    language: f.language as UnpaidOfParticipant['language'],
    waId: String(f.waId),
    billId: num(f.billId),
    period: String(f.period),
    dueDate: String(f.dueDate),
    outstanding: num(f.outstanding),
  }));
}
