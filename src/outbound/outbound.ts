import { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import type { Db, OriginKind, Tx } from '../db/index.js';
import { groupCommit } from '../group-commit.js';
import { callbackDataFor, reconcileStatuses } from '../messages/index.js';
import type { Metrics } from '../metrics.js';
import { redisFaultLog } from '../redis.js';
import {
  type CloudApiClient,
  type CloudApiFailure,
  isWindowOpen,
  maskPhone,
  type OutboundBody,
  WINDOW_CLOSED_CODE,
  withCallbackData,
} from '../whatsapp/index.js';
import { backoffDelay } from './backoff.js';
import { createBullQueue } from './bullmq-queue.js';
import { createStatusFollower, statusReports } from './follow.js';
import { SlotGate } from './gate.js';
import { isNumberThrottle, MemorySlidingLimiter, NumberBackoff, RedisSlidingLimiter } from './limiter.js';
import { MemoryJobQueue } from './memory-queue.js';
import type {
  GuardedMessage,
  Origin,
  OriginHandlers,
  Outcome,
  OutcomeReport,
  SendDecision,
} from './origin.js';
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
import * as repo from './repository.js';
import { createSweeper } from './sweep.js';

export interface OutboundRequest {
  /** wa_id (628…) or BSUID; the body already addresses it */
  contactKey: string;
  participantId?: number | null;
  body: OutboundBody;
  priority: Priority;
  /** who asked for it: the guard asked before the send, and the handler told how it ended, are this kind's */
  origin: Origin;
  /** enqueueing twice with the same key creates one message and one send */
  dedupeKey?: string;
  delayMs?: number;
  /** for the history view (messages.text / messages.template_name) */
  text?: string | null;
  templateName?: string | null;
}

export interface Outbound {
  enqueue(req: OutboundRequest): Promise<{ messageId: number; duplicate: boolean }>;
  /**
   * The same for many messages at once (a blast's page): one statement reserves the ids, one inserts the
   * rows, one adds the jobs. Answers in the order of `reqs`.
   */
  enqueueMany(reqs: OutboundRequest[]): Promise<{ messageId: number; duplicate: boolean }[]>;
  /**
   * What the room that queues messages of this origin kind wants asked and told: its guard, run just before
   * each send, and its outcome handler (origin.ts). Register before start(): the start-up sweep may send
   * rows left from the last run at once.
   */
  handle<K extends OriginKind>(kind: K, handlers: OriginHandlers<K>): void;
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
  /** how often status webhooks are read for what origins hear after a send (follow.ts) */
  followEveryMs?: number;
  /** statuses are read this long after they were recorded, so none committed late is passed over */
  statusLagMs?: number;
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

const SWEEP_EVERY_MS = 30_000;
const FOLLOW_EVERY_MS = 250;
const STATUS_LAG_MS = 2000;
/** How soon a reply waiting for the one before it looks again. */
const ORDER_POLL_MS = 100;
/** An earlier reply unsent for longer than this (stuck, or long retried) no longer holds the next back. */
const ORDER_HORIZON_MINUTES = 15;
/** Recording an acceptance is retried in-process: failing it would mean sending an accepted message again. */
const RECORD_TRIES = 6;

/**
 * One stage of the send path as a group commit: the sends of one turn of the event loop (woken by the
 * same I/O) go as one statement of at most 500, and a failed statement fails every send in it, each send's
 * own retry (the queue's) taking over as it would for a statement of its own.
 */
const sendStage = <In, Out>(commit: (items: In[]) => Promise<Out[]>) =>
  groupCommit({ commit, gather: 'turn', maxWeight: 500 });

const DEFAULTS = { concurrency: 16, retry: { attempts: 8, baseDelayMs: 1000 } } as const;

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

  const handlers = new Map<OriginKind, OriginHandlers>();
  const guards = new Map<OriginKind, (m: GuardedMessage) => Promise<SendDecision>>();

  /** Tells each origin kind its reports, in one call a kind. */
  async function tell(tx: Tx, reports: readonly OutcomeReport[]): Promise<void> {
    const byKind = new Map<OriginKind, OutcomeReport[]>();
    for (const r of reports) {
      const list = byKind.get(r.origin.kind) ?? [];
      list.push(r);
      byKind.set(r.origin.kind, list);
    }
    for (const [kind, list] of byKind) await handlers.get(kind)?.outcomes?.(tx, list);
  }
  const hears = (origin: Origin | null): origin is Origin =>
    origin !== null && handlers.get(origin.kind)?.outcomes !== undefined;

  /**
   * Records a message's outcome with `write` and, when its origin listens, tells it in the same
   * transaction, only if `write` moved the row: the outcome and what the origin makes of it commit together.
   */
  async function settle(
    id: number,
    origin: Origin | null,
    outcome: Outcome,
    write: (q: Db | Tx) => Promise<boolean>,
  ): Promise<void> {
    if (!hears(origin)) {
      await write(db);
      return;
    }
    await db.transaction(async (tx) => {
      if (await write(tx)) await tell(tx, [{ messageId: id, origin, outcome }]);
    });
  }

  async function markFailed(id: number, origin: Origin | null, code: number | null, title: string) {
    await settle(id, origin, { kind: 'failed', code, title, late: false }, (q) =>
      repo.markFailed(q, id, { code, title }, now()),
    );
  }

  // Each stage of a send is one statement for every send at that stage (sendStage()): at a blast's pace
  // that is one round trip for dozens of messages instead of one each, which measured as the difference
  // between ~200 and ~1,000 messages a second on two cores.

  const loadRow = sendStage((ids: number[]) => repo.loadForSend(db, ids, ORDER_HORIZON_MINUTES));

  const claim = sendStage((items: { id: number; attempts: number }[]) => repo.claimForSend(db, items));

  /**
   * The wamid stored and the row accepted, with the statuses that reached us before it (the webhook can
   * beat the Cloud API's answer) applied after; the origins that listen are told in the same transaction.
   */
  const storeWamid = sendStage(
    async (items: { id: number; wamid: string; origin: Origin | null }[]): Promise<true[]> => {
      const listening = items.filter((i): i is typeof i & { origin: Origin } => hears(i.origin));
      const store = async (q: Db | Tx) => {
        const early = await repo.storeAccepted(q, items);
        for (const e of early) await reconcileStatuses(q, e.id, e.wamid);
        return early;
      };
      if (listening.length === 0) await store(db);
      else {
        await db.transaction(async (tx) => {
          const early = new Set((await store(tx)).map((e) => e.wamid));
          const accepted = listening.map((i) => ({
            messageId: i.id,
            origin: i.origin,
            outcome: { kind: 'accepted' } as const,
          }));
          await tell(tx, [
            ...accepted,
            ...(await earlyReports(
              tx,
              listening.filter((i) => early.has(i.wamid)),
            )),
          ]);
        });
      }
      return items.map(() => true);
    },
  );

  /** What the statuses that beat the Cloud API's answer tell, when the follower has read past them already. */
  async function earlyReports(tx: Tx, items: { id: number; wamid: string; origin: Origin }[]) {
    const byWamid = new Map(items.map((i) => [i.wamid, i]));
    const passed = await repo.statusesPassedBy(tx, [...byWamid.keys()]);
    return passed.flatMap((s) => {
      const i = byWamid.get(s.wamid)!;
      return statusReports(i.id, i.origin, s);
    });
  }

  async function recordAccepted(id: number, wamid: string, origin: Origin | null): Promise<void> {
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        await storeWamid({ id, wamid, origin });
        return;
      } catch (err) {
        if (attempt >= RECORD_TRIES) throw err;
        log.warn({ messageId: id, attempt, err }, 'outbound: recording an accepted send failed');
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  /**
   * A job that finds its message already accepted: the acceptance reached the row another way (a status
   * webhook found it by its callback data while our answer was lost), so its origin may not have heard.
   */
  async function retell(row: repo.SendRow): Promise<void> {
    const done = ['accepted', 'sent', 'delivered', 'read'].includes(row.status);
    if (!done || !hears(row.origin)) return;
    const origin = row.origin;
    await db.transaction((tx) => tell(tx, [{ messageId: row.id, origin, outcome: { kind: 'accepted' } }]));
  }

  async function process(run: JobRun): Promise<void> {
    const row = await loadRow(run.messageId);
    if (row?.direction !== 'out') return;
    // Accepted (or further), failed or skipped: this message is done, whatever ran this job again.
    if (row.status !== 'queued' && row.status !== 'sending') {
      await retell(row);
      return;
    }
    const id = run.messageId;
    const priority: Priority = row.priority ?? run.priority;
    const body = row.payload as OutboundBody;
    const who = maskPhone(row.contactKey);

    if (body.type !== 'template') {
      const last = row.lastInboundMs;
      if (!isWindowOpen(last === null ? null : new Date(last), now())) {
        await markFailed(id, row.origin, WINDOW_CLOSED_CODE, WINDOW_CLOSED_TITLE);
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
    const check = row.origin ? guards.get(row.origin.kind) : undefined;
    if (check && row.origin) {
      const decision = await check({
        id,
        origin: row.origin,
        contactKey: row.contactKey,
        participantId: row.participantId,
        priority,
        status: row.status,
      });
      if (decision !== 'send') {
        if ('holdMs' in decision) throw new Released(decision.reason, Math.max(1, decision.holdMs));
        await settle(id, row.origin, { kind: 'skipped', reason: decision.skip }, (q) =>
          repo.markSkipped(q, id, decision.skip),
        );
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
      await repo.releaseClaim(db, id, { status: row.status, attempts: row.attempts });
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
        await recordAccepted(id, outcome.wamid, row.origin);
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
        await markFailed(id, row.origin, f.code, f.title);
        log.warn({ messageId: id, to: who, code: failureLabel(f) }, 'outbound: retries exhausted');
        throw new FinalFailure(`retries exhausted: ${f.title}`);
      }
      // A timeout leaves the row 'sending': the Cloud API may have taken it, and the next attempt is then
      // a possible duplicate. Any other failure is a clear "not sent", back to 'queued'.
      await repo.markRetrying(db, id, { code: f.code, title: f.title, timedOut: f.timedOut === true });
      throw new RetryLater(f);
    }
    count(f.kind === 'window-closed' ? 'window_closed' : 'permanent', priority);
    await markFailed(
      id,
      row.origin,
      f.code ?? (f.kind === 'window-closed' ? WINDOW_CLOSED_CODE : null),
      f.title,
    );
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

  // What origins hear after a send (a failure after acceptance, the billed category), read from the
  // recorded status webhooks by whichever consuming process holds the cursor (follow.ts).
  const follower = createStatusFollower({
    db,
    lagMs: deps.statusLagMs ?? STATUS_LAG_MS,
    kinds: () => [...handlers].flatMap(([kind, h]) => (h.outcomes ? [kind] : [])),
    tell,
  });
  const followEveryMs = deps.followEveryMs ?? FOLLOW_EVERY_MS;
  let followTimer: NodeJS.Timeout | undefined;
  let following: Promise<void> | undefined;
  const follow = () => {
    following = follower.step().then(
      (more) => {
        if (!closing) followTimer = setTimeout(follow, more ? 0 : followEveryMs);
      },
      (err: unknown) => {
        log.warn({ err }, 'outbound: reading statuses for their origins failed; trying again');
        if (!closing) followTimer = setTimeout(follow, followEveryMs);
      },
    );
  };

  let started: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  const outbound: OutboundInternals = {
    async enqueueMany(reqs) {
      if (closing) throw new Error('outbound is closed');
      if (reqs.length === 0) return [];
      for (const req of reqs) checkRequest(req);
      const ids = await repo.reserveIds(db, reqs.length);
      // One jsonb parameter for the whole page: thousands of bind parameters cost PostgreSQL more to
      // parse and bind than the insert itself.
      const fresh = await repo.insertQueued(
        db,
        reqs.map((req, i) => newMessage(req, ids[i]!)),
        now(),
      );
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
      const [id] = await repo.reserveIds(db, 1);
      if (await repo.insertOne(db, newMessage(req, id!), now())) {
        await addJobs([{ messageId: id!, priority: req.priority, delayMs }]);
        return { messageId: id!, duplicate: false };
      }

      const existing = await repo.findByDedupeKey(db, req.dedupeKey!);
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
        if ([...handlers.values()].some((h) => h.outcomes)) follow();
      })();
      return started;
    },

    close() {
      closing ??= (async () => {
        await started?.catch(() => {});
        clearInterval(sweepTimer);
        clearTimeout(followTimer);
        await following;
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

    handle(kind, given) {
      // stored under its kind and only ever given messages of that kind
      const registered = given as unknown as OriginHandlers;
      handlers.set(kind, registered);
      if (registered.guard) {
        const check = registered.guard;
        guards.set(
          kind,
          sendStage((list: GuardedMessage[]) => check(list)),
        );
      } else guards.delete(kind);
    },

    revive: (jobs) => queue.revive(jobs),
    sweep: () => sweeper.all(),
  };
  return outbound;
}

/** The row a request makes, under a reserved id whose callback data its body carries. */
const newMessage = (req: OutboundRequest, id: number): repo.NewMessage => ({
  id,
  contactKey: req.contactKey,
  participantId: req.participantId ?? null,
  type: req.body.type,
  text: req.text ?? null,
  templateName: req.templateName ?? null,
  payload: withCallbackData(req.body, callbackDataFor(id)),
  priority: req.priority,
  dedupeKey: req.dedupeKey ?? null,
  origin: req.origin,
});

function checkRequest(req: OutboundRequest): void {
  if (req.priority !== 'reply' && req.priority !== 'blast') throw new TypeError(`priority: ${req.priority}`);
  if (req.origin.kind === 'campaign' && !req.dedupeKey) throw new TypeError('a reminder needs a dedupe key');
  const delayMs = req.delayMs ?? 0;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`delayMs: ${req.delayMs}`);
}

function failureLabel(f: CloudApiFailure): string {
  if (f.code != null) return String(f.code);
  if (f.timedOut) return 'timeout';
  return f.httpStatus ? `http_${f.httpStatus}` : 'network';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
