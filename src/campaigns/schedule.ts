import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Campaign } from '../db/index.js';
import { localTime } from '../local-time.js';

// Standing schedules (a campaign's `schedule: {dueDateOffsetDays, time}`): every day at `time` in
// BUSINESS_TZ, the bills whose due date + offset is today get their reminder. What fires the day's point:
//   - Redis mode: one BullMQ job scheduler per running standing campaign (a cron pattern with the business
//     time zone). Every process upserts the same scheduler id, so Redis holds one schedule and each firing
//     is one job taken by one worker.
//   - every mode: the campaign runner's tick catches up a point whose time has passed today and that has not
//     run today (a service down at 09:00 sends at its return, the same day). In-process mode this tick is
//     the timer.
// Both paths end in the same claim (campaigns.last_run_on moved to today in the transaction that writes the
// day's recipients), so a day's point runs once whatever fires it and however many processes there are.

export const SCHEDULE_QUEUE = 'campaign-due';
const SCHEDULER_PREFIX = 'campaign-due:';
/** How often each process re-upserts its running schedules and removes those of stopped campaigns. */
const SYNC_MS = 30_000;

export interface StandingSchedule {
  dueDateOffsetDays: number;
  /** HH:MM in BUSINESS_TZ */
  time: string;
}

/** The campaign's standing schedule, or null for a one-off blast. */
export function standingSchedule(c: Pick<Campaign, 'schedule'>): StandingSchedule | null {
  const s = c.schedule;
  if (!s || typeof s.dueDateOffsetDays !== 'number' || typeof s.time !== 'string') return null;
  return { dueDateOffsetDays: s.dueDateOffsetDays, time: s.time };
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** A cron pattern firing daily at HH:MM (the scheduler's `tz` makes it BUSINESS_TZ). */
export const cronPattern = (time: string): string =>
  `${Number(time.slice(3, 5))} ${Number(time.slice(0, 2))} * * *`;

/** Whether today's point at `time` has come, at `at` in `timeZone`. */
export const pointPassed = (at: Date, time: string, timeZone: string): boolean =>
  localTime(at, timeZone).minutes >= minutesOf(time);

export interface ScheduleJobs {
  /** Makes Redis hold a scheduler for each of these campaigns (id → HH:MM) and none for any other. */
  sync(desired: ReadonlyMap<number, string>): Promise<void>;
  close(): Promise<void>;
}

export interface ScheduleJobsDeps {
  redis: { url: string; prefix: string };
  timeZone: string;
  /** what a firing does: the runner's catch-up for that campaign */
  run(campaignId: number): Promise<void>;
  onError(err: Error): void;
}

/** Redis mode: the job schedulers and the worker that takes their jobs. */
export function createScheduleJobs(deps: ScheduleJobsDeps): ScheduleJobs {
  const producer = new Redis(deps.redis.url, { maxRetriesPerRequest: 20 });
  const consumer = new Redis(deps.redis.url, { maxRetriesPerRequest: null });
  for (const c of [producer, consumer]) c.on('error', deps.onError);
  const queue = new Queue(SCHEDULE_QUEUE, { connection: producer, prefix: deps.redis.prefix });
  queue.on('error', deps.onError);
  const worker = new Worker<{ campaignId: number }>(
    SCHEDULE_QUEUE,
    async (job) => {
      await deps.run(Number(job.data.campaignId));
    },
    { connection: consumer, prefix: deps.redis.prefix, concurrency: 1 },
  );
  worker.on('error', deps.onError);
  worker.on('failed', (_job, err) => deps.onError(err));

  // What this process last made sure of, and when: an unchanged set is re-checked every SYNC_MS only.
  let last = '';
  let lastAt = 0;

  return {
    async sync(desired) {
      const key = [...desired].map(([id, time]) => `${id}@${time}`).join(',');
      if (key === last && Date.now() - lastAt < SYNC_MS) return;
      for (const [campaignId, time] of desired) {
        await queue.upsertJobScheduler(
          `${SCHEDULER_PREFIX}${campaignId}`,
          { pattern: cronPattern(time), tz: deps.timeZone },
          {
            name: 'due',
            data: { campaignId },
            opts: { removeOnComplete: 100, removeOnFail: 100 },
          },
        );
      }
      // A campaign paused, cancelled or gone: its schedule goes too (resume upserts it again).
      for (const s of await queue.getJobSchedulers()) {
        const id = s.key.startsWith(SCHEDULER_PREFIX) ? Number(s.key.slice(SCHEDULER_PREFIX.length)) : NaN;
        if (Number.isInteger(id) && !desired.has(id)) await queue.removeJobScheduler(s.key);
      }
      last = key;
      lastAt = Date.now();
    },
    async close() {
      await worker.close();
      await queue.close();
      await Promise.allSettled([producer.quit(), consumer.quit()]);
    },
  };
}
