import { and, eq, inArray, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { type Db, jsonParam, messages, queryRows as rows } from '../db/index.js';
import { callbackDataFor, reconcileStatuses } from '../messages/index.js';
import type { Metrics } from '../metrics.js';
import { redisFaultLog } from '../redis.js';
import {
  type CloudApiClient,
  type CloudApiFailure,
  maskPhone,
  type OutboundBody,
  SERVICE_WINDOW_MS,
  WINDOW_CLOSED_CODE,
  withCallbackData,
} from '../whatsapp/index.js';
import { backoffDelay } from './backoff.js';
import { batched } from './batch.js';
import { createBullQueue } from './bullmq-queue.js';
import { SlotGate } from './gate.js';
import { isNumberThrottle, MemorySlidingLimiter, NumberBackoff, RedisSlidingLimiter } from './limiter.js';
import { MemoryJobQueue } from './memory-queue.js';
import {
  type Depth,
  FinalFailure,
  type JobQueue,
  type JobRun,
  type Priority,
  Released,
  RetryLater,
  type SendJob,
} from './queue.js';
import { createSweeper } from './sweep.js';

export interface OutboundRequest {
  /** wa_id (628…) or BSUID; the body already addresses it */
  contactKey: string;
  participantId?: number | null;
  body: OutboundBody;
  priority: Priority;
  /** enqueueing twice with the same key creates one message and one send */
  dedupeKey?: string;
  delayMs?: number;
  /** for the history view (messages.text / messages.template_name) */
  text?: string | null;
  templateName?: string | null;
}

/** What a guard sees of a message about to be sent. */
export interface GuardedMessage {
  id: number;
  dedupeKey: string;
  contactKey: string;
  participantId: number | null;
  priority: Priority;
  /** 'sending' when an earlier attempt's outcome is unknown (it may have been accepted) */
  status: 'queued' | 'sending';
}

/**
 * A guard's verdict just before a send: go ahead; skip for good (the message becomes 'skipped' with the
 * reason); or hold it back for `holdMs` without using an attempt (quiet hours, a paused campaign).
 */
export type SendDecision = 'send' | { skip: string } | { holdMs: number; reason: string };

/**
 * The last word on messages before their slots are taken, registered by the room that queued them. It is
 * asked about every message at that stage at once (one query for a blast's worth), and answers in order.
 */
export type SendGuard = (messages: readonly GuardedMessage[]) => Promise<SendDecision[]>;

export interface Outbound {
  enqueue(req: OutboundRequest): Promise<{ messageId: number; duplicate: boolean }>;
  /**
   * The same for many messages at once (a blast's page): one statement reserves the ids, one inserts the
   * rows, one adds the jobs. Answers in the order of `reqs`.
   */
  enqueueMany(reqs: OutboundRequest[]): Promise<{ messageId: number; duplicate: boolean }[]>;
  /**
   * Runs `check` just before each send of a message whose dedupeKey starts with `dedupePrefix`. Register it
   * before start(): the start-up sweep may send rows left from the last run at once.
   */
  guard(dedupePrefix: string, check: SendGuard): void;
  /** Starts consuming (a process may enqueue without consuming), after sweeping unsent rows back in. */
  start(): Promise<void>;
  /** Graceful: stops taking jobs, lets in-flight sends finish and record, then releases connections. */
  close(): Promise<void>;
  depth(): Promise<Depth>;
}

export type OutboundLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface OutboundDeps {
  db: Db;
  client: CloudApiClient;
  metrics?: Metrics;
  log?: OutboundLogger;
  /** WHATSAPP_MPS: the cap across every process sharing the Redis */
  mps: number;
  /** unset: in-process queue and limiter, for one process */
  redis?: { url: string; prefix: string };
  concurrency?: number;
  retry?: { attempts: number; baseDelayMs: number };
  now?: () => Date;
  /**
   * Redis mode: how often queued rows whose job Redis lost are looked for (one process a period does it,
   * sweep.ts); 0: only at start()
   */
  sweepEveryMs?: number;
}

/** Internals the tests reach for; other rooms use only `Outbound`. */
export interface OutboundInternals extends Outbound {
  /** Gives these messages a job again, as the start-up sweep does, even if an old one finished. */
  revive(jobs: SendJob[]): Promise<number>;
  /** Rows found unsent and given a job again, by the sweep in start(). */
  sweep(): Promise<number>;
}

const WINDOW_CLOSED_TITLE = 'window closed';

/**
 * The sliding window the limiter keeps: the cap's one second plus a guard. A slot is taken immediately
 * before the request, but the Cloud API counts the request when it arrives, later by an amount that
 * varies (event loop, HTTP client, network). 25 ms of guard absorbs that spread (measured: up to ~23 ms
 * on a CPU-starved test box) at the cost of 2.5 % of the budget, so the cap holds as the Cloud API counts.
 */
export const LIMIT_WINDOW_MS = 1000 + 25;

const UNSENT = ['queued', 'sending'] as const;
const SWEEP_EVERY_MS = 30_000;
/** How soon a reply waiting for the one before it looks again. */
const ORDER_POLL_MS = 100;
/** An earlier reply unsent for longer than this (stuck, or long retried) no longer holds the next back. */
const ORDER_HORIZON_MINUTES = 15;
/** Recording an acceptance is retried in-process: failing it would mean sending an accepted message again. */
const RECORD_TRIES = 6;

export const DEFAULTS = { concurrency: 16, retry: { attempts: 8, baseDelayMs: 1000 } } as const;

export function createOutbound(deps: OutboundDeps): Outbound {
  return createOutboundInternals(deps);
}

export function createOutboundInternals(deps: OutboundDeps): OutboundInternals {
  const { db, client, metrics } = deps;
  const log: OutboundLogger = deps.log ?? pino({ level: 'silent' });
  const now = deps.now ?? (() => new Date());
  const concurrency = deps.concurrency ?? DEFAULTS.concurrency;
  const retry = deps.retry ?? DEFAULTS.retry;
  if (!Number.isInteger(deps.mps) || deps.mps < 1)
    throw new RangeError(`mps must be a positive integer: ${deps.mps}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency: ${concurrency}`);
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1)
    throw new RangeError(`attempts: ${retry.attempts}`);
  const backoff = (attemptsMade: number, err: unknown) => backoffDelay(attemptsMade, err, retry.baseDelayMs);

  // Every connection's reconnection attempts, logged as one outage (redis.ts).
  const redisFaults = redisFaultLog('outbound', log);
  const onRedisError = redisFaults.error;
  // The limiter is needed only by a consuming process: in Redis mode its connection opens in start().
  let gate: SlotGate | undefined;
  let numberBackoff: NumberBackoff | undefined;
  let limiterRedis: Redis | undefined;
  const queue: JobQueue = deps.redis
    ? createBullQueue({
        url: deps.redis.url,
        prefix: deps.redis.prefix,
        concurrency,
        attempts: retry.attempts,
        backoff,
        onError: onRedisError,
      })
    : new MemoryJobQueue({ concurrency, attempts: retry.attempts, backoff });

  const count = (outcome: string, priority: Priority) => metrics?.sends.inc({ outcome, priority });

  async function markFailed(id: number, code: number | null, title: string): Promise<void> {
    await db
      .update(messages)
      .set({ status: 'failed', errorCode: code, errorTitle: title, failedAt: now() })
      .where(and(eq(messages.id, id), inArray(messages.status, UNSENT)));
  }

  // Each stage of a send is one statement for every send at that stage (batched()): at a blast's pace
  // that is one round trip for dozens of messages instead of one each, which measured as the difference
  // between ~200 and ~1,000 messages a second on two cores.

  const loadRow = batched(async (ids: number[]): Promise<(SendRow | undefined)[]> => {
    const found = await rows<RawSendRow>(
      db,
      sql`select m.id, m.status, m.dedupe_key, m.participant_id, m.direction, m.payload, m.priority,
          m.attempts, m.contact_key,
          (extract(epoch from c.last_inbound_at) * 1000)::float8 as last_inbound_ms,
          m.priority = 'reply' and exists (
            select 1 from messages as earlier
            where earlier.contact_key = m.contact_key and earlier.direction = 'out'
              and earlier.priority = 'reply' and earlier.id < m.id
              and earlier.status in ('queued', 'sending')
              and earlier.created_at > now() - ${`${ORDER_HORIZON_MINUTES} minutes`}::interval)
            as earlier_reply_unsent
        from messages m
        left join contacts c on c.contact_key = m.contact_key
        where m.id in (select value::bigint from jsonb_array_elements_text(${jsonParam(ids)}::jsonb))`,
    );
    const byId = new Map(found.map((r) => [Number(r.id), toSendRow(r)]));
    return ids.map((id) => byId.get(id));
  });

  /** Claimed on the attempts seen: should two runs of one message ever overlap, only one sends. */
  const claim = batched(async (items: { id: number; attempts: number }[]): Promise<(number | null)[]> => {
    const claimed = await rows<{ id: string | number; attempts: number }>(
      db,
      sql`update messages m set status = 'sending', attempts = m.attempts + 1
        from jsonb_to_recordset(${JSON.stringify(items)}::jsonb) as x(id bigint, attempts integer)
        where m.id = x.id and m.status in ('queued', 'sending') and m.attempts = x.attempts
        returning m.id, m.attempts`,
    );
    const byId = new Map(claimed.map((r) => [Number(r.id), Number(r.attempts)]));
    return items.map((i) => byId.get(i.id) ?? null);
  });

  /**
   * The wamid stored and the row accepted, with the statuses that reached us before it (the webhook can
   * beat the Cloud API's answer) read in the same statement and applied after.
   */
  const storeWamid = batched(async (items: { id: number; wamid: string }[]): Promise<true[]> => {
    // A status webhook may have moved the row on already (found by its callback data): only an unsent row
    // becomes 'accepted', and only its leftover error from a retried attempt is cleared.
    const early = await rows<{ message_id: string | number; wamid: string }>(
      db,
      sql`with stored as (
          update messages m set wamid = x.wamid,
            status = case when m.status in ('queued', 'sending') then 'accepted' else m.status end,
            error_code = case when m.status in ('queued', 'sending') then null else m.error_code end,
            error_title = case when m.status in ('queued', 'sending') then null else m.error_title end
          from jsonb_to_recordset(${JSON.stringify(items)}::jsonb) as x(id bigint, wamid text)
          where m.id = x.id
          returning m.id, m.wamid)
        select distinct stored.id as message_id, stored.wamid
        from stored join message_statuses s on s.wamid = stored.wamid`,
    );
    for (const e of early) await reconcileStatuses(db, Number(e.message_id), e.wamid);
    return items.map(() => true);
  });

  async function recordAccepted(id: number, wamid: string): Promise<void> {
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        await storeWamid({ id, wamid });
        return;
      } catch (err) {
        if (attempt >= RECORD_TRIES) throw err;
        log.warn({ messageId: id, attempt, err }, 'outbound: recording an accepted send failed');
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  const guards = new Map<string, (m: GuardedMessage) => Promise<SendDecision>>();
  const guardFor = (dedupeKey: string | null) => {
    if (dedupeKey === null) return undefined;
    for (const [prefix, check] of guards) if (dedupeKey.startsWith(prefix)) return check;
    return undefined;
  };

  async function process(run: JobRun): Promise<void> {
    const row = await loadRow(run.messageId);
    // Accepted (or further), failed or skipped: this message is done, whatever ran this job again.
    if (row?.direction !== 'out' || (row.status !== 'queued' && row.status !== 'sending')) return;
    const id = run.messageId;
    const priority: Priority = row.priority ?? run.priority;
    const body = row.payload as OutboundBody;
    const who = maskPhone(row.contactKey);

    if (body.type !== 'template') {
      const last = row.lastInboundMs;
      if (last === null || now().getTime() - last >= SERVICE_WINDOW_MS) {
        await markFailed(id, WINDOW_CLOSED_CODE, WINDOW_CLOSED_TITLE);
        count('window_closed', priority);
        log.info(
          { messageId: id, to: who },
          'outbound: free-form message outside the 24-hour window, not sent',
        );
        throw new FinalFailure(WINDOW_CLOSED_TITLE);
      }
    }

    // A conversation's bubbles go one after the other, each once the one before was accepted: sent side
    // by side they could arrive out of order. Not for blasts, which must never hold a reply up.
    if (priority === 'reply' && row.earlierReplyUnsent) {
      throw new Released('an earlier reply to this contact is not sent yet', ORDER_POLL_MS);
    }

    // The guard's facts (a payment, an opt-out, a paused campaign) can change while a message waits, so
    // they are read here, after the wait, and not when it was queued.
    const check = guardFor(row.dedupeKey);
    if (check) {
      const decision = await check({
        id,
        dedupeKey: row.dedupeKey!,
        contactKey: row.contactKey,
        participantId: row.participantId,
        priority,
        status: row.status,
      });
      if (decision !== 'send') {
        if ('holdMs' in decision) throw new Released(decision.reason, Math.max(1, decision.holdMs));
        await db
          .update(messages)
          .set({ status: 'skipped', errorTitle: decision.skip })
          .where(and(eq(messages.id, id), inArray(messages.status, UNSENT)));
        count('skipped', priority);
        log.info({ messageId: id, to: who, reason: decision.skip }, 'outbound: skipped by its guard');
        return;
      }
    }

    const attempt = await claim({ id, attempts: row.attempts });
    if (attempt === null) return;

    // The slot is the last thing before the request, so the limiter counts the moment the Cloud API
    // sees (the claim above is done by then, whatever the database's latency).
    try {
      await gate!.acquire(priority);
    } catch (err) {
      // Closing: the message goes back to the queue as it was, so its next run is no possible duplicate.
      await db
        .update(messages)
        .set({ status: row.status, attempts: row.attempts })
        .where(
          and(eq(messages.id, id), eq(messages.status, 'sending'), eq(messages.attempts, row.attempts + 1)),
        );
      throw err;
    }
    if (row.status === 'sending') {
      // The last attempt's answer was lost (a timeout, or a crash mid-send): it may have been accepted.
      metrics?.possibleDuplicates.inc();
      log.warn({ messageId: id, to: who, attempt }, 'outbound: re-sending after an unknown outcome');
    }

    const outcome = await client.send(body);
    if (outcome.ok) {
      try {
        await recordAccepted(id, outcome.wamid);
      } catch (err) {
        // Not retried by the queue: the Cloud API has this message. The row stays 'sending', so a later
        // sweep would send it again, counted as a possible duplicate.
        log.error({ messageId: id, err }, 'outbound: accepted but not recorded');
        throw new FinalFailure('accepted but not recorded');
      }
      count('accepted', priority);
      numberBackoff?.succeeded();
      return;
    }

    const f = outcome.failure;
    metrics?.sendFailures.inc({ code: failureLabel(f) });
    if (isNumberThrottle(f) && numberBackoff) {
      const ms = await numberBackoff.throttled();
      log.warn(
        { code: failureLabel(f), pauseMs: ms },
        'outbound: the Cloud API is throttling the number; all sends pause',
      );
    }
    if (f.kind === 'retryable') {
      count('retryable', priority);
      if (run.attemptsMade + 1 >= run.attempts) {
        await markFailed(id, f.code, f.title);
        log.warn({ messageId: id, to: who, code: failureLabel(f) }, 'outbound: retries exhausted');
        throw new FinalFailure(`retries exhausted: ${f.title}`);
      }
      // A timeout leaves the row 'sending': the Cloud API may have taken it, and the next attempt is then
      // a possible duplicate. Any other failure is a clear "not sent", back to 'queued'.
      await db
        .update(messages)
        .set({ status: f.timedOut ? 'sending' : 'queued', errorCode: f.code, errorTitle: f.title })
        .where(and(eq(messages.id, id), inArray(messages.status, UNSENT)));
      throw new RetryLater(f);
    }
    count(f.kind === 'window-closed' ? 'window_closed' : 'permanent', priority);
    await markFailed(id, f.code ?? (f.kind === 'window-closed' ? WINDOW_CLOSED_CODE : null), f.title);
    log.info({ messageId: id, to: who, code: failureLabel(f) }, 'outbound: send failed for good');
    throw new FinalFailure(f.title);
  }

  async function processLogged(run: JobRun): Promise<void> {
    try {
      await process(run);
    } catch (err) {
      if (!(err instanceof Released || err instanceof FinalFailure || err instanceof RetryLater)) {
        // A database or Redis hiccup: the queue retries the job like a retryable send.
        log.error({ messageId: run.messageId, err }, 'outbound: send job failed');
      }
      throw err;
    }
  }

  const sweeper = createSweeper(db, queue, log);
  const sweepEveryMs = deps.sweepEveryMs ?? SWEEP_EVERY_MS;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping = false;

  /** The periodic sweep, by one process a period: the lock lives until the period ends. */
  async function sweepPeriodically(): Promise<void> {
    if (sweeping || !deps.redis || !limiterRedis) return;
    sweeping = true;
    try {
      const key = `${deps.redis.prefix}:outbound-sweep`;
      if ((await limiterRedis.set(key, 'taken', 'PX', sweepEveryMs, 'NX')) === 'OK') {
        await sweeper.queued();
      }
    } catch (err) {
      log.warn({ err }, 'outbound: sweep failed; trying again next period');
    } finally {
      sweeping = false;
    }
  }

  /**
   * A job add that fails leaves the row queued for the periodic sweep: the message is recorded, and a
   * request or a conversation never waits for Redis to come back.
   */
  async function addJobs(jobs: (SendJob & { delayMs: number })[]): Promise<void> {
    if (jobs.length === 0) return;
    try {
      await (jobs.length === 1 ? queue.add(jobs[0]!) : queue.addMany(jobs));
    } catch (err) {
      log.warn(
        { messages: jobs.length, err },
        'outbound: queue unavailable; the messages wait for the sweep',
      );
    }
  }

  let started: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  const outbound: OutboundInternals = {
    async enqueueMany(reqs) {
      if (closing) throw new Error('outbound is closed');
      if (reqs.length === 0) return [];
      for (const req of reqs) checkRequest(req);
      const reserved = await db
        .select({ id: sql<string>`nextval(pg_get_serial_sequence('messages', 'id'))` })
        .from(sql`generate_series(1, ${reqs.length}) as n`);
      const ids = reserved.map((r) => Number(r.id));
      // One jsonb parameter for the whole page: thousands of bind parameters cost PostgreSQL more to
      // parse and bind than the insert itself.
      const page = reqs.map((req, i) => ({
        id: ids[i]!,
        contact_key: req.contactKey,
        participant_id: req.participantId ?? null,
        type: req.body.type,
        text: req.text ?? null,
        template_name: req.templateName ?? null,
        payload: withCallbackData(req.body, callbackDataFor(ids[i]!)),
        priority: req.priority,
        dedupe_key: req.dedupeKey ?? null,
      }));
      const inserted = (
        await rows<{ id: string | number }>(
          db,
          sql`insert into messages (id, direction, contact_key, participant_id, type, text, template_name,
              payload, status, priority, dedupe_key, occurred_at)
            select x.id, 'out', x.contact_key, x.participant_id, x.type, x.text, x.template_name, x.payload,
              'queued', x.priority, x.dedupe_key, ${now().toISOString()}::timestamptz
            from jsonb_to_recordset(${JSON.stringify(page)}::jsonb) as x(id bigint, contact_key text,
              participant_id integer, type text, text text, template_name text, payload jsonb, priority text,
              dedupe_key text)
            on conflict (dedupe_key) do nothing
            returning id`,
        )
      ).map((r) => ({ id: Number(r.id) }));
      const fresh = new Set(inserted.map((r) => r.id));
      await addJobs(
        reqs.flatMap((req, i) =>
          fresh.has(ids[i]!)
            ? [{ messageId: ids[i]!, priority: req.priority, delayMs: req.delayMs ?? 0 }]
            : [],
        ),
      );
      // A dedupe key already taken (a retry of the same page) answers as enqueue() would, one by one.
      return Promise.all(
        reqs.map((req, i) =>
          fresh.has(ids[i]!) ? { messageId: ids[i]!, duplicate: false } : outbound.enqueue(req),
        ),
      );
    },

    async enqueue(req) {
      if (closing) throw new Error('outbound is closed');
      checkRequest(req);
      const delayMs = req.delayMs ?? 0;

      // The id is reserved first so that the stored body carries its callback data from the first moment:
      // a status webhook can then find the row even before the wamid is stored.
      const [reserved] = await db
        .select({ id: sql<string>`nextval(pg_get_serial_sequence('messages', 'id'))` })
        .from(sql`(select 1) as one`);
      const id = Number(reserved!.id);
      const inserted = await db
        .insert(messages)
        .values({
          id,
          direction: 'out',
          contactKey: req.contactKey,
          participantId: req.participantId ?? null,
          type: req.body.type,
          text: req.text ?? null,
          templateName: req.templateName ?? null,
          payload: withCallbackData(req.body, callbackDataFor(id)),
          status: 'queued',
          priority: req.priority,
          dedupeKey: req.dedupeKey ?? null,
          occurredAt: now(),
        })
        .onConflictDoNothing({ target: messages.dedupeKey })
        .returning({ id: messages.id });

      if (inserted.length > 0) {
        await addJobs([{ messageId: id, priority: req.priority, delayMs }]);
        return { messageId: id, duplicate: false };
      }

      const [existing] = await db
        .select({ id: messages.id, status: messages.status, priority: messages.priority })
        .from(messages)
        .where(eq(messages.dedupeKey, req.dedupeKey!))
        .limit(1);
      if (!existing) throw new Error('outbound: dedupe key conflict but no row found');
      // Still queued: adding its job again is a no-op while the job lives, and heals an enqueue whose
      // job add failed after its row was written.
      if (existing.status === 'queued') {
        await addJobs([{ messageId: existing.id, priority: existing.priority ?? req.priority, delayMs }]);
      }
      return { messageId: existing.id, duplicate: true };
    },

    start() {
      if (closing) return Promise.reject(new Error('outbound is closed'));
      started ??= (async () => {
        if (deps.redis) {
          limiterRedis = new Redis(deps.redis.url, { maxRetriesPerRequest: null });
          limiterRedis.on('error', onRedisError);
          limiterRedis.on('ready', redisFaults.ready);
          const key = `${deps.redis.prefix}:outbound-send-log`;
          const sliding = new RedisSlidingLimiter(limiterRedis, key, deps.mps, LIMIT_WINDOW_MS);
          numberBackoff = new NumberBackoff(sliding, { redis: limiterRedis, key: sliding.pauseKey });
        } else {
          numberBackoff = new NumberBackoff(new MemorySlidingLimiter(deps.mps, LIMIT_WINDOW_MS));
        }
        gate = new SlotGate(numberBackoff, (err) => log.warn({ err }, 'outbound: rate limiter failed'));
        await sweeper.all();
        await queue.start(processLogged);
        if (deps.redis && sweepEveryMs > 0) {
          sweepTimer = setInterval(() => void sweepPeriodically(), sweepEveryMs);
          sweepTimer.unref();
        }
      })();
      return started;
    },

    close() {
      closing ??= (async () => {
        await started?.catch(() => {});
        clearInterval(sweepTimer);
        // The queue stops fetching and waits for its running jobs; those still waiting for a slot are
        // released back to the queue at once, and only sends already under way are waited for.
        const stopped = queue.close();
        gate?.close();
        await stopped;
        await limiterRedis?.quit().catch(() => {});
      })();
      return closing;
    },

    async depth() {
      const d = await queue.depth();
      metrics?.queueDepth.set({ state: 'waiting' }, d.waiting);
      metrics?.queueDepth.set({ state: 'delayed' }, d.delayed);
      metrics?.queueDepth.set({ state: 'active' }, d.active);
      return d;
    },

    guard(dedupePrefix, check) {
      if (dedupePrefix === '') throw new RangeError('a guard needs a dedupe key prefix');
      guards.set(dedupePrefix, batched(check));
    },

    revive: (jobs) => queue.revive(jobs),
    sweep: () => sweeper.all(),
  };
  return outbound;
}

/** What the sender reads of a message before sending it. */
interface SendRow {
  status: string;
  dedupeKey: string | null;
  participantId: number | null;
  direction: string;
  payload: unknown;
  priority: Priority | null;
  attempts: number;
  contactKey: string;
  lastInboundMs: number | null;
  earlierReplyUnsent: boolean;
}

interface RawSendRow {
  id: string | number;
  status: string;
  dedupe_key: string | null;
  participant_id: string | number | null;
  direction: string;
  payload: unknown;
  priority: Priority | null;
  attempts: number;
  contact_key: string;
  last_inbound_ms: number | null;
  earlier_reply_unsent: boolean;
}

const toSendRow = (r: RawSendRow): SendRow => ({
  status: r.status,
  dedupeKey: r.dedupe_key,
  participantId: r.participant_id === null ? null : Number(r.participant_id),
  direction: r.direction,
  // PGlite and postgres-js both parse jsonb; a driver that did not would hand us the text
  payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
  priority: r.priority,
  attempts: Number(r.attempts),
  contactKey: r.contact_key,
  lastInboundMs: r.last_inbound_ms === null ? null : Number(r.last_inbound_ms),
  earlierReplyUnsent: r.earlier_reply_unsent === true,
});

function checkRequest(req: OutboundRequest): void {
  if (req.priority !== 'reply' && req.priority !== 'blast') throw new TypeError(`priority: ${req.priority}`);
  const delayMs = req.delayMs ?? 0;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`delayMs: ${req.delayMs}`);
}

function failureLabel(f: CloudApiFailure): string {
  if (f.code != null) return String(f.code);
  if (f.timedOut) return 'timeout';
  return f.httpStatus ? `http_${f.httpStatus}` : 'network';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
