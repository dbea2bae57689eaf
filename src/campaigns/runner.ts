import { and, eq, sql } from 'drizzle-orm';
import { type Logger, pino } from 'pino';
import type { Language } from '../../flows/types.js';
import {
  findTemplate,
  renderTemplate,
  type TemplateBill,
  type TemplateContext,
  templateLanguageFor,
} from '../../templates/index.js';
import type { Config } from '../config.js';
import { type Campaign, campaignStatusCursor, campaigns, type Db } from '../db/index.js';
import type { Metrics } from '../metrics.js';
import type { GuardedMessage, Outbound, OutboundRequest, SendDecision } from '../outbound/index.js';
import { markWhatsappUnreachable } from '../participants/index.js';
import { type Audience, insertDuePage, insertRecipientPage } from './audience.js';
import { holdFor, localDate, type SendingHours } from './hours.js';
import {
  createScheduleJobs,
  pointPassed,
  type ScheduleJobs,
  type StandingSchedule,
  standingSchedule,
} from './schedule.js';
import { jsonParam, type Queryable, rows } from './sql.js';
import { claimWithinLimit } from './tier.js';

// The campaign sender's loop. Each tick, in any number of processes at once:
//   settle  – recipients whose message left the queue are marked, and a refused send decides the next step;
//   watch   – status webhooks since the last look (async failures, the category Meta billed) do the same;
//   due     – each running standing schedule whose time has passed today and that has not run today writes
//             today's recipients (schedule.ts: a BullMQ job scheduler fires the same step on time);
//   pump    – each running campaign gets its recipient rows (once), then a few seconds' worth of them are
//             given to the one outbound sender, so pause and cancel act on a short queue; under a
//             messaging limit (WHATSAPP_TIER) only as many as its budget allows (tier.ts).
// Everything is a row first and every step is idempotent, so a crash or a second process changes nothing.

export const DEDUPE_PREFIX = 'campaign:';
export const dedupeKeyFor = (recipientId: number, attempts: number): string =>
  attempts === 0 ? `${DEDUPE_PREFIX}${recipientId}` : `${DEDUPE_PREFIX}${recipientId}:${attempts}`;
const recipientIdOf = (dedupeKey: string): number | null => {
  const m = /^campaign:(\d+)(?::\d+)?$/.exec(dedupeKey);
  return m ? Number(m[1]) : null;
};

/** WHATSAPP.md 4: the template, the number or the account is in trouble; every next send would fail too. */
export const PAUSE_CODES: ReadonlySet<number> = new Set([
  131048, // spam-rate limit on this number: quality problem
  132000, // parameter count does not match the template
  132001, // template missing in this language or not approved
  132015, // template paused for low quality
  132016, // template disabled
  190, // access token expired
  368, // account restricted for a policy violation
]);
export const UNREACHABLE_CODE = 131026;
/** Per-user marketing limit: Meta says wait at least 24 hours. */
export const NEXT_DAY_CODE = 131049;
const NEXT_DAY_MS = 24 * 3600_000;
/** How many times one reminder goes back for another day before its failure stands. */
const NEXT_DAY_TRIES = 2;

const PAGE = 1000;
/** A claimed recipient whose message link was lost (a crash between enqueue and link) is linked again. */
const RELINK_AFTER_SECONDS = 30;
/** reminders handed to the sender in one batch */
const ENQUEUE_BATCH = 500;
/** A campaign held by the messaging limit looks for freed budget this often. */
const TIER_RECHECK_MS = 1000;
/** A paused reminder caught mid-send (outcome unknown) waits this long to learn it, never re-queued. */
const UNKNOWN_OUTCOME_HOLD_MS = 1000;

export type CampaignLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface CampaignRunnerDeps {
  db: Db;
  outbound: Outbound;
  config: Pick<Config, 'businessTz' | 'quietHours' | 'campaigns'> & {
    whatsapp: { mps: number; messagingLimit?: number | null };
    redisUrl?: string;
  };
  metrics?: Metrics;
  log?: CampaignLogger;
  /** the clock for schedules, sending hours and the messaging-limit window (tests run a day without waiting) */
  now?: () => Date;
  /**
   * where standing schedules' job schedulers live; unset: REDIS_URL with the service's prefix; null: none
   * (the tick alone fires them, one process)
   */
  redis?: { url: string; prefix: string } | null;
  tickMs?: number;
  /** reminders handed to the sender and not yet out, per campaign: enough for two ticks at the cap */
  inFlight?: number;
  /** statuses are read this long after they were recorded, so none committed late is passed over */
  statusLagMs?: number;
}

export interface CampaignRunner {
  /** Starts the loop. The guard is registered when the runner is made: make it before outbound.start(). */
  start(): void;
  stop(): Promise<void>;
  /** One pass of the loop (tests drive it directly). */
  tick(): Promise<void>;
  /** Today's point of one standing campaign, if its time has passed and it has not run today (the job's work). */
  runDue(campaignId: number): Promise<void>;
}

interface Settled {
  recipient_id: number;
  campaign_id: number;
  participant_id: number;
  message_id: number;
  status: string;
  error_code: number | null;
  error_title: string | null;
}

export function sendingHours(config: CampaignRunnerDeps['config']): SendingHours {
  return {
    timeZone: config.businessTz,
    quietHours: config.quietHours,
    holidays: new Set(config.campaigns.holidays),
    fridayPause: config.campaigns.fridayPause,
  };
}

export function createCampaignRunner(deps: CampaignRunnerDeps): CampaignRunner {
  const { db, outbound, metrics } = deps;
  const log: CampaignLogger = deps.log ?? pino({ level: 'silent' });
  const now = deps.now ?? (() => new Date());
  const tickMs = deps.tickMs ?? 250;
  const inFlight = deps.inFlight ?? Math.max(20, deps.config.whatsapp.mps * 2);
  const statusLagMs = deps.statusLagMs ?? 2000;
  const hours = sendingHours(deps.config);
  const messagingLimit = deps.config.whatsapp.messagingLimit ?? null;
  const redis =
    deps.redis === undefined
      ? deps.config.redisUrl
        ? { url: deps.config.redisUrl, prefix: 'tagih' }
        : null
      : deps.redis;
  let scheduleJobs: ScheduleJobs | undefined;
  /** campaigns held by the messaging limit: real time of the next look (the big count is not run every tick) */
  const heldUntil = new Map<number, number>();

  async function skipRecipient(db: Queryable, recipientId: number, messageId: number, reason: string) {
    const done = await db.execute(sql`update campaign_recipients
      set status = 'skipped', skip_reason = ${reason}, skipped_at = now(), settled_at = now()
      where id = ${recipientId} and message_id = ${messageId} and status = 'queued'`);
    metrics?.campaignSkips.inc({ reason });
    return done;
  }

  /** Back to pending with a new dedupe key: the old message is skipped, a later pump queues a new one. */
  async function requeue(db: Queryable, recipientId: number, messageId: number, notBefore: Date | null) {
    const back = await rows<{ id: number }>(
      db,
      sql`update campaign_recipients
        set status = 'pending', message_id = null, settled_at = null, queued_at = null,
            attempts = attempts + 1, not_before = ${notBefore?.toISOString() ?? null}::timestamptz
        where id = ${recipientId} and message_id = ${messageId}
        returning id`,
    );
    return back.length > 0;
  }

  interface GuardFacts {
    id: number;
    status: string;
    attempts: number;
    message_id: number | null;
    skip_reason: string | null;
    campaign_status: string;
    paid: boolean;
    opted_out: boolean;
    unreachable: boolean;
    handoff: boolean;
  }

  /** The facts of every reminder about to be sent, in one query. */
  async function guard(list: readonly GuardedMessage[]): Promise<SendDecision[]> {
    const ids = list.map((m) => recipientIdOf(m.dedupeKey));
    const wanted = list.flatMap((m, i) =>
      ids[i] === null ? [] : [{ id: ids[i]!, contact_key: m.contactKey }],
    );
    const facts =
      wanted.length === 0
        ? []
        : await rows<GuardFacts>(
            db,
            sql`select r.id, r.status, r.attempts, r.message_id, r.skip_reason, c.status as campaign_status,
                b.paid_at is not null as paid, p.opted_out, p.whatsapp_unreachable_at is not null as unreachable,
                exists (select 1 from handoffs h
                        where h.contact_key = x.contact_key and h.status <> 'resolved') as handoff
              from jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) as x(id integer, contact_key text)
              join campaign_recipients r on r.id = x.id
              join campaigns c on c.id = r.campaign_id
              join bills b on b.id = r.bill_id
              join participants p on p.id = r.participant_id`,
          );
    const byId = new Map(facts.map((f) => [Number(f.id), f]));
    // The sender can reach a message before the pump has linked it to its recipient: link those first,
    // all in one statement, so that a skip below finds its recipient by the message.
    const links = list.flatMap((msg, i) => {
      const r = ids[i] === null ? undefined : byId.get(ids[i]!);
      if (!r || r.message_id !== null || r.status === 'skipped') return [];
      if (msg.dedupeKey !== dedupeKeyFor(ids[i]!, r.attempts)) return [];
      r.message_id = msg.id;
      return [{ id: ids[i]!, attempts: r.attempts, message_id: msg.id }];
    });
    if (links.length > 0) {
      await db.execute(sql`update campaign_recipients r set message_id = l.message_id
        from jsonb_to_recordset(${JSON.stringify(links)}::jsonb) as l(id integer, attempts integer, message_id bigint)
        where r.id = l.id and r.message_id is null and r.attempts = l.attempts`);
    }
    const decisions: SendDecision[] = [];
    for (const [i, msg] of list.entries()) {
      const recipientId = ids[i]!;
      decisions.push(
        await decide(msg, recipientId, recipientId === null ? undefined : byId.get(recipientId)),
      );
    }
    return decisions;
  }

  async function decide(
    msg: GuardedMessage,
    recipientId: number | null,
    r: GuardFacts | undefined,
  ): Promise<SendDecision> {
    if (recipientId === null) return { skip: 'not a campaign reminder' };
    if (!r) return { skip: 'no such recipient' };
    if (r.status === 'skipped') return { skip: r.skip_reason ?? 'skipped' };
    // A message from before a pause or a next-day retry: the reminder has moved on to a newer key.
    if (msg.dedupeKey !== dedupeKeyFor(recipientId, r.attempts)) return { skip: 'superseded' };
    if (Number(r.message_id) !== msg.id) return { skip: 'superseded' };
    const reason = r.paid
      ? 'paid'
      : r.opted_out
        ? 'opted_out'
        : r.unreachable
          ? 'unreachable'
          : r.handoff
            ? 'handoff'
            : r.campaign_status === 'cancelled'
              ? 'cancelled'
              : null;
    if (reason) {
      await skipRecipient(db, recipientId, msg.id, reason);
      return { skip: reason };
    }
    if (r.campaign_status !== 'running') {
      if (msg.status === 'sending') return { holdMs: UNKNOWN_OUTCOME_HOLD_MS, reason: 'campaign paused' };
      await requeue(db, recipientId, msg.id, null);
      return { skip: 'paused' };
    }
    const hold = holdFor(now(), hours);
    if (hold) return { holdMs: hold.ms, reason: hold.reason };
    return 'send';
  }
  outbound.guard(DEDUPE_PREFIX, guard);

  async function pause(db: Queryable, campaignId: number, reason: string, alert: string) {
    const paused = await rows<{ name: string }>(
      db,
      sql`update campaigns set status = 'paused', pause_reason = ${reason}, updated_at = now()
        where id = ${campaignId} and status = 'running' returning name`,
    );
    if (paused.length === 0) return;
    metrics?.campaignAlerts.inc({ reason: alert });
    log.error({ alert: true, campaignId, reason }, `campaign ${campaignId} paused: ${reason}`);
  }

  /** What a failed reminder means for the number, the recipient and the campaign (WHATSAPP.md 4). */
  async function react(db: Queryable, f: Settled): Promise<void> {
    const code = f.error_code === null ? null : Number(f.error_code);
    if (code === UNREACHABLE_CODE) {
      await markWhatsappUnreachable(db, f.participant_id);
      return;
    }
    if (code === NEXT_DAY_CODE) {
      const [r] = await rows<{ attempts: number }>(
        db,
        sql`select attempts from campaign_recipients where id = ${f.recipient_id} and message_id = ${f.message_id}`,
      );
      if (r && r.attempts < NEXT_DAY_TRIES) {
        await requeue(db, f.recipient_id, f.message_id, new Date(now().getTime() + NEXT_DAY_MS));
        await db.execute(sql`update campaigns set status = 'running', completed_at = null
          where id = ${f.campaign_id} and status = 'completed'`);
      }
      return;
    }
    if (code !== null && PAUSE_CODES.has(code)) {
      await pause(db, f.campaign_id, `WhatsApp error ${code}: ${f.error_title ?? 'no title'}`, String(code));
    }
  }

  /** Recipients whose message the sender finished with; a send the Cloud API refused decides the next step. */
  async function settle(): Promise<void> {
    const settled = await rows<Settled & { wamid: string | null }>(
      db,
      sql`update campaign_recipients r set settled_at = now()
        from messages m
        where m.id = r.message_id and r.status = 'queued' and r.settled_at is null
          and m.status not in ('queued', 'sending')
        returning r.id as recipient_id, r.campaign_id, r.participant_id, m.id as message_id, m.status,
          m.wamid, m.error_code, m.error_title`,
    );
    for (const s of settled) {
      // A failure after acceptance arrives as a status webhook: watch() acts on that one.
      if (s.status === 'failed' && s.wamid === null) await react(db, s);
      // Skipped with no word to its recipient (a guard that failed half-way): the recipient says so too.
      if (s.status === 'skipped') {
        await db.execute(sql`update campaign_recipients
          set status = 'skipped', skip_reason = coalesce(${s.error_title}, 'skipped'), skipped_at = now()
          where id = ${s.recipient_id} and status = 'queued'`);
      }
    }
  }

  /** Status webhooks since the last look, once across processes: async failures and the billed category. */
  async function watch(): Promise<void> {
    await db.transaction(async (tx) => {
      const [cursor] = await rows<{ last_status_id: number }>(
        tx,
        sql`select last_status_id from campaign_status_cursor where id = 1 for update skip locked`,
      );
      if (!cursor) return;
      const last = Number(cursor.last_status_id);
      const [bound] = await rows<{ upto: number | null }>(
        tx,
        sql`select max(id) as upto from (
          select id from message_statuses
          where id > ${last} and created_at < now() - ${`${statusLagMs} milliseconds`}::interval
          order by id limit ${PAGE}) s`,
      );
      if (bound?.upto == null) return;
      const upto = Number(bound.upto);
      const seen = await rows<
        Settled & { pricing_category: string | null; template_category: string; template_name: string }
      >(
        tx,
        sql`select ms.status, ms.error_code, ms.error_title, ms.pricing_category,
            r.id as recipient_id, r.campaign_id, r.participant_id, m.id as message_id,
            c.template_category, c.template_name
          from message_statuses ms
          join messages m on m.wamid = ms.wamid
          join campaign_recipients r on r.message_id = m.id
          join campaigns c on c.id = r.campaign_id
          where ms.id > ${last} and ms.id <= ${upto}
            and (ms.status = 'failed' or ms.pricing_category is not null)
          order by ms.id`,
      );
      for (const s of seen) {
        if (s.status === 'failed') await react(tx, s);
        const billed = billedCategory(s.pricing_category);
        if (billed && billed !== s.template_category) {
          await pause(
            tx,
            s.campaign_id,
            `Meta billed template ${s.template_name} as ${s.pricing_category}; the registry says ${s.template_category}`,
            'category_mismatch',
          );
        }
      }
      await tx
        .update(campaignStatusCursor)
        .set({ lastStatusId: upto, updatedAt: new Date() })
        .where(eq(campaignStatusCursor.id, 1));
    });
  }

  async function materialise(c: Campaign): Promise<void> {
    const today = localDate(now(), hours.timeZone);
    let after = 0;
    let inserted = 0;
    for (;;) {
      const page = await insertRecipientPage(
        db,
        c.id,
        c.audience as Audience,
        today,
        c.holdoutPercent,
        after,
        PAGE,
      );
      inserted += page.inserted;
      if (page.last === null) break;
      after = Number(page.last);
    }
    await db
      .update(campaigns)
      .set({ recipientsReadyAt: now() })
      .where(and(eq(campaigns.id, c.id), sql`${campaigns.recipientsReadyAt} is null`));
    log.info({ campaignId: c.id, inserted }, 'campaign: recipients written');
  }

  interface Claimed {
    id: number;
    participant_id: number;
    bill_id: number;
    attempts: number;
  }

  /** Renders and queues claimed recipients, then links each to its message. */
  async function enqueue(c: Campaign, claimed: Claimed[]): Promise<void> {
    const def = findTemplate(c.templateName);
    if (!def) {
      await pause(db, c.id, `template ${c.templateName} is no longer in the registry`, 'unknown_template');
      return;
    }
    const facts = await rows<{
      participant_id: number;
      name: string;
      language: Language;
      wa_id: string;
      bill_id: number;
      period: string;
      due_date: string;
      outstanding: string | number;
    }>(
      db,
      sql`select p.id as participant_id, p.name, p.language, p.wa_id, b.id as bill_id, b.period,
          to_char(b.due_date, 'YYYY-MM-DD') as due_date,
          greatest(b.amount - coalesce((select sum(y.amount) from payments y where y.bill_id = b.id), 0), 0)
            as outstanding
        from participants p join bills b on b.participant_id = p.id and b.paid_at is null
        where p.id in (select value::integer from jsonb_array_elements_text(${jsonParam(
          claimed.map((r) => r.participant_id),
        )}::jsonb))
        order by p.id, b.period`,
    );
    const byParticipant = new Map<number, typeof facts>();
    for (const f of facts) {
      const list = byParticipant.get(f.participant_id) ?? [];
      list.push(f);
      byParticipant.set(f.participant_id, list);
    }
    const today = localDate(now(), hours.timeZone);
    // Render every reminder of the page first, then hand them to the sender in one batch: one statement
    // for the ids, one for the rows, one for the jobs, one to link the recipients.
    const ready: { r: Claimed; req: OutboundRequest }[] = [];
    for (const r of claimed) {
      const unpaidRows = byParticipant.get(r.participant_id) ?? [];
      const unpaid: TemplateBill[] = unpaidRows.map((f) => ({
        period: f.period,
        dueDate: f.due_date,
        outstanding: Number(f.outstanding),
      }));
      const i = unpaidRows.findIndex((f) => f.bill_id === r.bill_id);
      const who = unpaidRows[0];
      if (i < 0 || !who) {
        await skipUnqueued(r.id, 'paid');
        continue;
      }
      const ctx: TemplateContext = {
        participant: { name: who.name, language: who.language },
        bill: unpaid[i]!,
        unpaid,
        today,
      };
      const language = templateLanguageFor(def, who.language, c.templateLanguage);
      let body: ReturnType<typeof renderTemplate>;
      try {
        body = renderTemplate(def, who.wa_id, ctx, language);
      } catch (err) {
        log.warn({ campaignId: c.id, recipientId: r.id, err }, 'campaign: template not renderable');
        await skipUnqueued(r.id, 'render_failed');
        continue;
      }
      ready.push({
        r,
        req: {
          contactKey: who.wa_id,
          participantId: r.participant_id,
          body,
          priority: 'blast',
          dedupeKey: dedupeKeyFor(r.id, r.attempts),
          templateName: def.name,
        },
      });
    }
    for (let k = 0; k < ready.length; k += ENQUEUE_BATCH) {
      const page = ready.slice(k, k + ENQUEUE_BATCH);
      const queued = await outbound.enqueueMany(page.map((p) => p.req));
      const links = page.map((p, n) => ({
        id: p.r.id,
        attempts: p.r.attempts,
        message_id: queued[n]!.messageId,
      }));
      await db.execute(sql`update campaign_recipients r set message_id = l.message_id
        from jsonb_to_recordset(${JSON.stringify(links)}::jsonb) as l(id integer, attempts integer, message_id bigint)
        where r.id = l.id and r.status = 'queued' and r.message_id is null and r.attempts = l.attempts`);
    }
  }

  async function skipUnqueued(recipientId: number, reason: string) {
    await db.execute(sql`update campaign_recipients
      set status = 'skipped', skip_reason = ${reason}, skipped_at = now(), settled_at = now()
      where id = ${recipientId} and status = 'queued' and message_id is null`);
    metrics?.campaignSkips.inc({ reason });
  }

  /**
   * Writes today's recipients of a standing campaign once: the move of last_run_on to today and the rows
   * commit together, so a second process (or the job and the tick) finds the day taken, and a crash half-way
   * leaves the day to run again. Bills already paid are not in the query; later payments meet the guard.
   */
  async function due(c: Campaign, s: StandingSchedule): Promise<void> {
    const at = now();
    if (!pointPassed(at, s.time, hours.timeZone)) return;
    const today = localDate(at, hours.timeZone);
    if (c.lastRunOn !== null && c.lastRunOn >= today) return;
    await db.transaction(async (tx) => {
      const taken = await rows<{ id: number }>(
        tx,
        sql`update campaigns set last_run_on = ${today}::date, updated_at = now()
          where id = ${c.id} and status = 'running'
            and (last_run_on is null or last_run_on < ${today}::date)
          returning id`,
      );
      if (taken.length === 0) return;
      let after = 0;
      let inserted = 0;
      for (;;) {
        const page = await insertDuePage(
          tx,
          c.id,
          c.audience as Audience,
          today,
          s.dueDateOffsetDays,
          c.holdoutPercent,
          after,
          PAGE,
        );
        inserted += page.inserted;
        if (page.last === null) break;
        after = Number(page.last);
      }
      log.info({ campaignId: c.id, day: today, inserted }, 'campaign: standing schedule ran');
    });
  }

  async function runDue(campaignId: number): Promise<void> {
    const [c] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId));
    const s = c && c.status === 'running' ? standingSchedule(c) : null;
    if (c && s) await due(c, s);
  }

  /** Recipient rows given to the sender now: as many as there is room for, within the messaging limit. */
  async function claim(c: Campaign, room: number, at: Date): Promise<Claimed[]> {
    if (messagingLimit === null) {
      return rows<Claimed>(
        db,
        sql`update campaign_recipients set status = 'queued', queued_at = now()
          where id in (
            select id from campaign_recipients
            where campaign_id = ${c.id} and status = 'pending'
              and (not_before is null or not_before <= ${at.toISOString()}::timestamptz)
            order by id limit ${room}
            for update skip locked)
          returning id, participant_id, bill_id, attempts`,
      );
    }
    const wait = heldUntil.get(c.id);
    if (wait !== undefined && Date.now() < wait) return [];
    const { claimed, held } = await claimWithinLimit(db, c.id, room, messagingLimit, at);
    if (held && claimed.length === 0) {
      if (wait === undefined) {
        log.info(
          { campaignId: c.id, limit: messagingLimit },
          'campaign: messaging limit reached, the rest wait for budget',
        );
      }
      heldUntil.set(c.id, Date.now() + TIER_RECHECK_MS);
    } else {
      heldUntil.delete(c.id);
    }
    return claimed;
  }

  async function pump(c: Campaign): Promise<void> {
    const at = now();
    const standing = standingSchedule(c) !== null;
    const sendAt = typeof c.schedule?.sendAt === 'string' ? new Date(c.schedule.sendAt) : null;
    if (sendAt && sendAt > at) return;
    // A standing campaign's rows are written day by day (due()), never all at once.
    if (!standing && !c.recipientsReadyAt) await materialise(c);

    // Claimed but never linked to a message (a crash in between): the same dedupe key finds or makes it.
    const unlinked = await rows<Claimed>(
      db,
      sql`select id, participant_id, bill_id, attempts from campaign_recipients
        where campaign_id = ${c.id} and status = 'queued' and settled_at is null and message_id is null
          and queued_at < now() - ${`${RELINK_AFTER_SECONDS} seconds`}::interval
        order by id limit ${PAGE}`,
    );
    if (unlinked.length > 0) await enqueue(c, unlinked);

    // Outside sending hours nothing new is queued; what is queued already waits in the sender.
    if (!holdFor(at, hours)) {
      const [flight] = await rows<{ n: string | number }>(
        db,
        sql`select count(*) as n from campaign_recipients
          where campaign_id = ${c.id} and status = 'queued' and settled_at is null`,
      );
      const room = inFlight - Number(flight?.n ?? 0);
      if (room > 0) {
        const claimed = await claim(c, room, at);
        if (claimed.length > 0) await enqueue(c, claimed);
      }
    }

    // A standing campaign runs until cancelled: a day with nothing left is not its end.
    if (standing) return;
    const [left] = await rows<{ open: boolean }>(
      db,
      sql`select exists (select 1 from campaign_recipients where campaign_id = ${c.id}
        and (status = 'pending' or (status = 'queued' and settled_at is null))) as open`,
    );
    if (left && !left.open) {
      const done = await db
        .update(campaigns)
        .set({ status: 'completed', completedAt: now(), updatedAt: now() })
        .where(
          and(
            eq(campaigns.id, c.id),
            eq(campaigns.status, 'running'),
            sql`${campaigns.recipientsReadyAt} is not null`,
          ),
        )
        .returning({ id: campaigns.id });
      if (done.length > 0) log.info({ campaignId: c.id }, 'campaign completed');
    }
  }

  async function tick(): Promise<void> {
    await settle();
    await watch();
    const running = await db.select().from(campaigns).where(eq(campaigns.status, 'running'));
    const standing = new Map<number, string>();
    for (const c of running) {
      const s = standingSchedule(c);
      if (!s) continue;
      standing.set(c.id, s.time);
      try {
        await due(c, s);
      } catch (err) {
        log.error({ campaignId: c.id, err }, 'campaign: standing schedule failed, will try again');
      }
    }
    if (scheduleJobs) {
      await scheduleJobs
        .sync(standing)
        .catch((err: Error) => log.warn({ err }, 'campaign: job schedulers not synced'));
    }
    for (const c of running) {
      try {
        await pump(c);
      } catch (err) {
        log.error({ campaignId: c.id, err }, 'campaign: pump failed, will try again');
      }
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let stopped = false;
  let cursorReady: Promise<void> | undefined;

  const loop = () => {
    if (stopped) return;
    current = (async () => {
      try {
        cursorReady ??= db
          .insert(campaignStatusCursor)
          .values({ id: 1 })
          .onConflictDoNothing()
          .then(() => undefined);
        await cursorReady;
        await tick();
      } catch (err) {
        cursorReady = undefined;
        log.error({ err }, 'campaign: tick failed');
      }
    })();
    void current.finally(() => {
      if (!stopped) timer = setTimeout(loop, tickMs);
    });
  };

  return {
    start() {
      if (timer || current) return;
      stopped = false;
      if (redis && !scheduleJobs) {
        scheduleJobs = createScheduleJobs({
          redis,
          timeZone: hours.timeZone,
          run: runDue,
          onError: (err) => log.warn({ err }, 'campaign: schedule job failed'),
        });
      }
      loop();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
      await scheduleJobs?.close();
      scheduleJobs = undefined;
    },
    runDue,
    async tick() {
      cursorReady ??= db
        .insert(campaignStatusCursor)
        .values({ id: 1 })
        .onConflictDoNothing()
        .then(() => undefined);
      await cursorReady;
      await tick();
    },
  };
}

/** The template category a status's pricing names; null for what a template is never billed as. */
export function billedCategory(pricing: string | null): 'utility' | 'marketing' | 'authentication' | null {
  if (pricing === 'utility') return 'utility';
  if (pricing === 'marketing' || pricing === 'marketing_lite') return 'marketing';
  if (pricing?.startsWith('authentication')) return 'authentication';
  return null;
}
