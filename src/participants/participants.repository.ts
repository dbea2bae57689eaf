import { asc, desc, eq, getTableName, sql } from 'drizzle-orm';
import {
  type bills,
  col,
  cols,
  consents,
  contactLinks,
  type Db,
  participants,
  queryRows,
  type Tx,
} from '../db/index.js';

// Every statement on `participants` and on the consent ledger (`consents`): the participants room owns
// their writes. Imports, the conversation engine's consent and language changes and the campaigns' 131026
// mark all come here.

export type Participant = typeof participants.$inferSelect;
export type Language = Participant['language'];
type Consent = typeof consents.$inferSelect;
type Queryable = Db | Tx;

export { queryRows } from '../db/index.js';

/** A list of strings as one bind parameter, unpacked by the server (see jsonParam in src/db). */
export const textsParam = (values: readonly string[]) =>
  sql`(select value from jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;

/**
 * A list of ids as one bind parameter: statements stay the same size whatever the batch, and PostgreSQL's
 * limit of 65,535 parameters a statement never comes into play.
 */
export const idsParam = (ids: readonly number[]) =>
  sql`(select value::integer from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

export async function findParticipantById(db: Queryable, id: number): Promise<Participant | null> {
  const [row] = await db.select().from(participants).where(eq(participants.id, id));
  return row ?? null;
}

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

/** Participant ids by KPJ, for the KPJs that are registered. */
export async function participantIdsByKpj(tx: Queryable, kpjs: string[]): Promise<Map<string, number>> {
  if (kpjs.length === 0) return new Map();
  const found = await queryRows<Pick<Participant, 'id' | 'kpj'>>(
    tx,
    sql`select ${participants.id} as id, ${participants.kpj} as kpj from ${participants}
        where ${participants.kpj} in ${textsParam([...new Set(kpjs)])}`,
  );
  return new Map(found.map((p) => [p.kpj, p.id]));
}

/** One imported participant, as the upsert takes it (birth date already hashed). */
export interface ParticipantRecord {
  kpj: string;
  name: string;
  wa_id: string;
  birth_date_hash: string;
  category: Participant['category'];
  language?: Language;
}

/** A participant whose registered number an upsert changed. */
export interface NumberMove {
  participantId: number;
  kpj: string;
  from: string;
  to: string;
}

/**
 * Upserts one batch on KPJ; answers how many rows were new, the participants whose registered number
 * changed, and the numbers it registered that an officer had linked to someone. With `withLanguage` the
 * rows' language is written; without, a participant keeps the language they chose (and a new one gets the
 * column default): hence two statement shapes.
 */
export async function upsertParticipantBatch(
  tx: Tx,
  rows: ParticipantRecord[],
  withLanguage: boolean,
): Promise<{ created: number; moved: NumberMove[]; linked: string[] }> {
  if (rows.length === 0) return { created: 0, moved: [], linked: [] };
  const p = participants;
  const written = [p.kpj, p.name, p.waId, p.birthDateHash, p.category, ...(withLanguage ? [p.language] : [])];
  // the input's fields, named as ParticipantRecord names them
  const fields = withLanguage
    ? sql`kpj, name, wa_id, birth_date_hash, category, language`
    : sql`kpj, name, wa_id, birth_date_hash, category`;
  const result = await queryRows<{ created: number; moved: NumberMove[] | null; linked: string[] | null }>(
    tx,
    sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(kpj text, name text, wa_id text, birth_date_hash text, category text, language text)
    ), prior as (
      select ${p.kpj} as kpj, ${p.waId} as wa_id from ${p}
      where ${p.kpj} in (select kpj from input)
    ), upserted as (
      insert into ${p} (${cols(...written)})
      select ${fields} from input
      on conflict (${col(p.kpj)}) do update set
        ${col(p.name)} = excluded.${col(p.name)},
        ${col(p.waId)} = excluded.${col(p.waId)},
        ${col(p.birthDateHash)} = excluded.${col(p.birthDateHash)},
        ${col(p.category)} = excluded.${col(p.category)},
        ${withLanguage ? sql`${col(p.language)} = excluded.${col(p.language)},` : sql``}
        -- a new number may well be on WhatsApp: the 131026 mark was the old number's
        ${col(p.whatsappUnreachableAt)} = case when ${p.waId} = excluded.${col(p.waId)}
          then ${p.whatsappUnreachableAt} end,
        ${col(p.updatedAt)} = now()
      -- xmax is 0 only on a row version this statement inserted; an updated row carries our transaction id
      returning ${col(p.id)} as id, ${col(p.kpj)} as kpj, ${col(p.waId)} as wa_id, (xmax = 0) as inserted
    )
    select (count(*) filter (where u.inserted))::integer as created,
      jsonb_agg(jsonb_build_object('participantId', u.id, 'kpj', u.kpj, 'from', p.wa_id, 'to', u.wa_id))
        filter (where p.wa_id <> u.wa_id) as moved,
      -- numbers an officer had linked to someone, now someone's registered number
      jsonb_agg(u.wa_id) filter (where exists (
        select 1 from ${contactLinks} where ${contactLinks.contactKey} = u.wa_id)) as linked
    from upserted u left join prior p on p.kpj = u.kpj`,
  );
  const row = result[0];
  return { created: row?.created ?? 0, moved: row?.moved ?? [], linked: row?.linked ?? [] };
}

/** Sets these participants' consent state (the ledger row goes in the same transaction: recordConsents). */
export async function setOptedOut(tx: Queryable, ids: number[], optedOut: boolean, at: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .update(participants)
    .set({ optedOut, updatedAt: at })
    .where(sql`${participants.id} in ${idsParam(ids)}`);
}

export async function setParticipantLanguage(db: Queryable, id: number, language: Language): Promise<void> {
  await db.update(participants).set({ language }).where(eq(participants.id, id));
}

/** The Cloud API said the participant's number is not on WhatsApp (131026); the first time is kept. */
export async function markWhatsappUnreachable(db: Queryable, id: number): Promise<void> {
  await db
    .update(participants)
    .set({ whatsappUnreachableAt: sql`coalesce(${participants.whatsappUnreachableAt}, now())` })
    .where(eq(participants.id, id));
}

/** Appends to the consent ledger: who opted in or out, when, through what and with which words. */
export async function recordConsents(
  tx: Queryable,
  entries: Pick<Consent, 'participantId' | 'contactKey' | 'action' | 'source' | 'wording'>[],
): Promise<void> {
  if (entries.length > 0) await tx.insert(consents).values(entries);
}

/** A participant's latest consent changes, newest first. */
export async function consentHistory(
  db: Queryable,
  participantId: number,
  limit: number,
): Promise<Pick<Consent, 'action' | 'source' | 'createdAt'>[]> {
  return db
    .select({ action: consents.action, source: consents.source, createdAt: consents.createdAt })
    .from(consents)
    .where(eq(consents.participantId, participantId))
    .orderBy(desc(consents.createdAt), desc(consents.id))
    .limit(limit);
}

/** Rows an import must write before it looks at the table's statistics. */
const ANALYZE_AFTER_ROWS = 1000;

/**
 * The campaign audience query is planned from these tables' statistics, and autovacuum refreshes them late
 * or never (it may be off): just after a large import the planner took 20,000 new rows for a handful and
 * chose a plan that read every unpaid bill for each page (bench/README.md, first send). Refreshed when the
 * table was never analysed, or has grown to twice its size at the last analysis: a register imported in
 * chunks is analysed a few times as it grows (log2 of its chunks), and an import into a large table never.
 */
export async function refreshStatistics(
  db: Db,
  table: typeof participants | typeof bills,
  written: number,
): Promise<void> {
  if (written < ANALYZE_AFTER_ROWS) return;
  try {
    const [row] = await queryRows<{ tuples: number; pages: number; now: number }>(
      db,
      sql`select reltuples::float8 as tuples, relpages::float8 as pages,
          (pg_relation_size(oid) / current_setting('block_size')::integer)::float8 as now
        from pg_class where oid = ${getTableName(table)}::regclass`,
    );
    if (row && row.tuples >= 0 && row.now < 2 * Math.max(row.pages, 1)) return;
    await db.execute(sql`analyze ${table}`);
  } catch {
    // The import is committed: statistics are the planner's help, and autovacuum will refresh them later.
  }
}
