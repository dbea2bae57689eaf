import { pino } from 'pino';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Metrics } from '../metrics.js';
import type { Outbound } from '../outbound/index.js';
import { findCampaign, runningCampaigns } from './repository/index.js';
import { createScheduleJobs, type ScheduleJobs, standingSchedule } from './schedule.js';
import { type CampaignLogger, sendingHours } from './usecases/context.js';
import { runDay } from './usecases/due.js';
import { campaignGuard } from './usecases/guard.js';
import { type PumpContext, pump } from './usecases/pump.js';
import { campaignOutcomes } from './usecases/settle.js';

// The campaigns' loop. Each tick, in any number of processes at once:
//   due  – each running standing schedule whose time has passed today and that has not run today writes
//          today's recipients (schedule.ts: a BullMQ job scheduler fires the same step on time);
//   pump – each running campaign hands a few seconds' worth of reminders to the one sender, writing its
//          audience a page further as it goes (usecases/pump.ts).
// What becomes of each reminder the sender tells the room itself (usecases/settle.ts), and it asks the
// room's guard just before each send (usecases/guard.ts): no loop looks for outcomes.
// Everything is a row first and every step is idempotent, so a crash or a second process changes nothing.

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
}

export interface CampaignRunner {
  /**
   * Starts the loop. The guard and the outcome handler are registered when the runner is made: make it
   * before outbound.start().
   */
  start(): void;
  stop(): Promise<void>;
  /** One pass of the loop (tests drive it directly). */
  tick(): Promise<void>;
  /** Today's point of one standing campaign, if its time has passed and it has not run today (the job's work). */
  runDue(campaignId: number): Promise<void>;
}

export function createCampaignRunner(deps: CampaignRunnerDeps): CampaignRunner {
  const ctx: PumpContext = {
    db: deps.db,
    outbound: deps.outbound,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    log: deps.log ?? pino({ level: 'silent' }),
    now: deps.now ?? (() => new Date()),
    hours: sendingHours(deps.config),
    inFlight: deps.inFlight ?? Math.max(20, deps.config.whatsapp.mps * 2),
    messagingLimit: deps.config.whatsapp.messagingLimit ?? null,
    heldUntil: new Map(),
  };
  const { log } = ctx;
  const tickMs = deps.tickMs ?? 250;
  const redis =
    deps.redis === undefined
      ? deps.config.redisUrl
        ? { url: deps.config.redisUrl, prefix: 'tagih' }
        : null
      : deps.redis;
  let scheduleJobs: ScheduleJobs | undefined;

  deps.outbound.handle('campaign', { guard: campaignGuard(ctx), outcomes: campaignOutcomes(ctx) });

  async function runDue(campaignId: number): Promise<void> {
    const c = await findCampaign(ctx.db, campaignId);
    const s = c && c.status === 'running' ? standingSchedule(c) : null;
    if (c && s) await runDay(ctx, c, s);
  }

  async function tick(): Promise<void> {
    const running = await runningCampaigns(ctx.db);
    const standing = new Map<number, string>();
    for (const c of running) {
      const s = standingSchedule(c);
      if (!s) continue;
      standing.set(c.id, s.time);
      try {
        await runDay(ctx, c, s);
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
        await pump(ctx, c);
      } catch (err) {
        log.error({ campaignId: c.id, err }, 'campaign: pump failed, will try again');
      }
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let stopped = false;

  const loop = () => {
    if (stopped) return;
    current = tick().catch((err: unknown) => log.error({ err }, 'campaign: tick failed'));
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
          timeZone: ctx.hours.timeZone,
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
    tick,
  };
}
