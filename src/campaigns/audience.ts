import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { jsonParam, type Queryable, rows } from './sql.js';

// An audience is a query, never a list in memory: participants with an unpaid bill that matches, minus
// those who opted out (and numbers WhatsApp said are not on it), read in pages keyed by participant id.

const PERIOD = /^[0-9]{4}-(0[1-9]|1[0-2])$/;

export const audienceSchema = z
  .object({
    category: z.enum(['BPU', 'PU']).optional(),
    /** unpaid bills already past their due date, at least */
    minArrearsMonths: z.number().int().min(0).max(600).optional(),
    maxArrearsMonths: z.number().int().min(0).max(600).optional(),
    /** only bills of these periods (YYYY-MM) */
    periods: z.array(z.string().regex(PERIOD, 'expected YYYY-MM')).min(1).max(240).optional(),
    kpj: z
      .array(z.string().regex(/^[0-9]{11}$/, 'expected 11 digits'))
      .min(1)
      .max(200_000)
      .optional(),
  })
  .strict()
  .refine(
    (a) =>
      a.minArrearsMonths === undefined ||
      a.maxArrearsMonths === undefined ||
      a.minArrearsMonths <= a.maxArrearsMonths,
    { message: 'minArrearsMonths is more than maxArrearsMonths', path: ['maxArrearsMonths'] },
  );

export type Audience = z.infer<typeof audienceSchema>;

/** The participant conditions of an audience, for a query over `participants p` (today: YYYY-MM-DD). */
function participantFilter(a: Audience, today: string): SQL {
  const parts: SQL[] = [sql`p.opted_out = false`, sql`p.whatsapp_unreachable_at is null`];
  if (a.category) parts.push(sql`p.category = ${a.category}`);
  if (a.kpj) parts.push(sql`p.kpj in (select jsonb_array_elements_text(${jsonParam(a.kpj)}::jsonb))`);
  if (a.minArrearsMonths !== undefined || a.maxArrearsMonths !== undefined) {
    const arrears = sql`(select count(*) from bills a
      where a.participant_id = p.id and a.paid_at is null and a.due_date < ${today}::date)`;
    if (a.minArrearsMonths !== undefined) parts.push(sql`${arrears} >= ${a.minArrearsMonths}`);
    if (a.maxArrearsMonths !== undefined) parts.push(sql`${arrears} <= ${a.maxArrearsMonths}`);
  }
  return sql.join(parts, sql` and `);
}

/** The bill conditions, for `bills b` joined to the participant. */
function billFilter(a: Audience): SQL {
  const parts: SQL[] = [sql`b.participant_id = p.id`, sql`b.paid_at is null`];
  if (a.periods)
    parts.push(sql`b.period in (select jsonb_array_elements_text(${jsonParam(a.periods)}::jsonb))`);
  return sql.join(parts, sql` and `);
}

export async function countAudience(db: Queryable, a: Audience, today: string): Promise<number> {
  const [row] = await rows<{ n: string | number }>(
    db,
    sql`select count(*) as n from participants p
        where ${participantFilter(a, today)} and exists (select 1 from bills b where ${billFilter(a)})`,
  );
  return Number(row?.n ?? 0);
}

/**
 * One page of the audience after participant id `after`: each participant once, with the bill the
 * reminder is about (the earliest unpaid that matches). The statement for insert…select.
 */
export function audiencePage(a: Audience, today: string, after: number, size: number): SQL {
  return sql`select distinct on (p.id) p.id as participant_id, b.id as bill_id
    from participants p join bills b on ${billFilter(a)}
    where ${participantFilter(a, today)} and p.id > ${after}
    order by p.id, b.period
    limit ${size}`;
}

/**
 * Inserts the recipient rows of one page (a row that exists already is left as it is) and returns the
 * page's last participant id, or null when the audience is exhausted. `holdoutPercent` of them, at
 * random, are recorded as the held-out group.
 */
export async function insertRecipientPage(
  db: Queryable,
  campaignId: number,
  a: Audience,
  today: string,
  holdoutPercent: number,
  after: number,
  size: number,
): Promise<{ last: number | null; inserted: number }> {
  const [row] = await rows<{ last: number | null; inserted: string | number }>(
    db,
    sql`with page as (${audiencePage(a, today, after, size)}),
      drawn as (select participant_id, bill_id, random() * 100 < ${holdoutPercent} as held from page),
      ins as (
        insert into campaign_recipients (campaign_id, participant_id, bill_id, status, holdout)
        select ${campaignId}, participant_id, bill_id, case when held then 'holdout' else 'pending' end, held
        from drawn
        on conflict do nothing
        returning 1)
      select (select max(participant_id) from page) as last, (select count(*) from ins) as inserted`,
  );
  return { last: row?.last ?? null, inserted: Number(row?.inserted ?? 0) };
}

/**
 * Standing schedules: one page of the bills whose reminder falls on `today` (due date + offset = today),
 * after bill id `after`, each with its participant, written as recipient rows. One row per bill, so a
 * participant is reminded once per bill on that bill's day; the unique (campaign, participant, bill) row
 * means a second run of the same day, or of another day, never writes it again. Returns the page's last
 * bill id, or null when the day is exhausted.
 */
export async function insertDuePage(
  db: Queryable,
  campaignId: number,
  a: Audience,
  today: string,
  offsetDays: number,
  holdoutPercent: number,
  after: number,
  size: number,
): Promise<{ last: number | null; inserted: number }> {
  const [row] = await rows<{ last: number | null; inserted: string | number }>(
    db,
    sql`with page as (
        select p.id as participant_id, b.id as bill_id
        from bills b join participants p on p.id = b.participant_id
        where b.due_date = ${today}::date - ${offsetDays}::integer and b.id > ${after}
          and ${billFilter(a)} and ${participantFilter(a, today)}
        order by b.id
        limit ${size}),
      drawn as (select participant_id, bill_id, random() * 100 < ${holdoutPercent} as held from page),
      ins as (
        insert into campaign_recipients (campaign_id, participant_id, bill_id, status, holdout)
        select ${campaignId}, participant_id, bill_id, case when held then 'holdout' else 'pending' end, held
        from drawn
        on conflict do nothing
        returning 1)
      select (select max(bill_id) from page) as last, (select count(*) from ins) as inserted`,
  );
  return { last: row?.last ?? null, inserted: Number(row?.inserted ?? 0) };
}
