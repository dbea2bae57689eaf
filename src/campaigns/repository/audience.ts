import { type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import {
  bills,
  campaignRecipients,
  cols,
  type Db,
  jsonParam,
  participants,
  queryRows,
  type Tx,
} from '../../db/index.js';
import type { Audience } from '../audience.js';
import { b, num, p } from './tables.js';

// An audience is a query, never a list in memory: participants with an unpaid bill that matches, minus
// those who opted out (and numbers WhatsApp said are not on it), read in pages keyed by participant id.

type Queryable = Db | Tx;
const a = alias(bills, 'a');

/** The participant conditions of an audience, for a query over `p` (today: YYYY-MM-DD). */
function participantFilter(audience: Audience, today: string): SQL {
  const parts: SQL[] = [sql`${p.optedOut} = false`, sql`${p.whatsappUnreachableAt} is null`];
  if (audience.category) parts.push(sql`${p.category} = ${audience.category}`);
  if (audience.kpj) {
    parts.push(sql`${p.kpj} in (select jsonb_array_elements_text(${jsonParam(audience.kpj)}::jsonb))`);
  }
  if (audience.minArrearsMonths !== undefined || audience.maxArrearsMonths !== undefined) {
    const arrears = sql`(select count(*) from ${bills} ${a}
      where ${a.participantId} = ${p.id} and ${a.paidAt} is null and ${a.dueDate} < ${today}::date)`;
    if (audience.minArrearsMonths !== undefined) parts.push(sql`${arrears} >= ${audience.minArrearsMonths}`);
    if (audience.maxArrearsMonths !== undefined) parts.push(sql`${arrears} <= ${audience.maxArrearsMonths}`);
  }
  return sql.join(parts, sql` and `);
}

/** The bill conditions, for `b` joined to the participant. */
function billFilter(audience: Audience): SQL {
  const parts: SQL[] = [sql`${b.participantId} = ${p.id}`, sql`${b.paidAt} is null`];
  if (audience.periods) {
    parts.push(sql`${b.period} in (select jsonb_array_elements_text(${jsonParam(audience.periods)}::jsonb))`);
  }
  return sql.join(parts, sql` and `);
}

/** The audience's size today, or only its participants after `after` (the part not written yet). */
export async function countAudience(
  db: Queryable,
  audience: Audience,
  today: string,
  after: number | null = null,
): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    db,
    sql`select count(*) as n from ${participants} ${p}
      where ${participantFilter(audience, today)} ${after === null ? sql`` : sql`and ${p.id} > ${after}`}
        and exists (select 1 from ${bills} ${b} where ${billFilter(audience)})`,
  );
  return num(row?.n);
}

/**
 * One page of the audience after participant id `after`: each participant once, with the bill the
 * reminder is about (the earliest unpaid that matches). The statement for insert…select.
 */
function audiencePage(audience: Audience, today: string, after: number, size: number): SQL {
  return sql`select distinct on (${p.id}) ${p.id} as participant_id, ${b.id} as bill_id
    from ${participants} ${p} join ${bills} ${b} on ${billFilter(audience)}
    where ${participantFilter(audience, today)} and ${p.id} > ${after}
      -- said of the bills too, so that their index scan starts at the page, not at the first bill
      and ${b.participantId} > ${after}
    order by ${p.id}, ${b.period}
    limit ${size}`;
}

/** A page of (participant, bill) pairs written as recipient rows, `holdoutPercent` of them held out. */
function writeRecipients(campaignId: number, page: SQL, holdoutPercent: number, last: SQL): SQL {
  const r = campaignRecipients;
  const columns = cols(r.campaignId, r.participantId, r.billId, r.status, r.holdout);
  return sql`with page as (${page}),
    drawn as (select participant_id, bill_id, random() * 100 < ${holdoutPercent} as held from page),
    ins as (
      insert into ${r} (${columns})
      select ${campaignId}, participant_id, bill_id, case when held then 'holdout' else 'pending' end, held
      from drawn
      on conflict do nothing
      returning 1)
    select ${last} as last, (select count(*) from page) as n, (select count(*) from ins) as inserted`;
}

export interface WrittenPage {
  /** the page's last key (participant id, or bill id for a day of a standing schedule); null: none left */
  last: number | null;
  /** rows the page held, written now or before */
  size: number;
  inserted: number;
}

/**
 * Inserts the recipient rows of one page of the audience after participant `after` (a row that exists
 * already is left as it is). `holdoutPercent` of them, at random, are recorded as the held-out group.
 */
export async function insertRecipientPage(
  db: Queryable,
  page: { campaignId: number; audience: Audience; today: string; holdoutPercent: number },
  after: number,
  size: number,
): Promise<WrittenPage> {
  const [row] = await queryRows<{ last: number | null; n: string | number; inserted: string | number }>(
    db,
    writeRecipients(
      page.campaignId,
      audiencePage(page.audience, page.today, after, size),
      page.holdoutPercent,
      sql`(select max(participant_id) from page)`,
    ),
  );
  return {
    last: row?.last == null ? null : Number(row.last),
    size: num(row?.n),
    inserted: num(row?.inserted),
  };
}

/**
 * Standing schedules: one page of the bills whose reminder falls on `today` (due date + offset = today),
 * after bill id `after`, each with its participant, written as recipient rows. One row per bill, so a
 * participant is reminded once per bill on that bill's day; the unique (campaign, participant, bill) row
 * means a second run of the same day, or of another day, never writes it again.
 */
export async function insertDuePage(
  db: Queryable,
  page: { campaignId: number; audience: Audience; today: string; holdoutPercent: number },
  offsetDays: number,
  after: number,
  size: number,
): Promise<WrittenPage> {
  const due = sql`select ${p.id} as participant_id, ${b.id} as bill_id
    from ${bills} ${b} join ${participants} ${p} on ${p.id} = ${b.participantId}
    where ${b.dueDate} = ${page.today}::date - ${offsetDays}::integer and ${b.id} > ${after}
      and ${billFilter(page.audience)} and ${participantFilter(page.audience, page.today)}
    order by ${b.id}
    limit ${size}`;
  const [row] = await queryRows<{ last: number | null; n: string | number; inserted: string | number }>(
    db,
    writeRecipients(page.campaignId, due, page.holdoutPercent, sql`(select max(bill_id) from page)`),
  );
  return {
    last: row?.last == null ? null : Number(row.last),
    size: num(row?.n),
    inserted: num(row?.inserted),
  };
}
