import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Desk } from './desk.js';

export const IDLE_QUEUE = 'handoff-idle';
/** How often idle handoffs are looked for: a return may come this much after HANDOFF_IDLE_HOURS. */
export const IDLE_CHECK_MS = 60_000;

export interface HandoffJobsDeps {
  desk: Desk;
  /** set: a BullMQ job scheduler in Redis, so one process of many runs each check; unset: a timer here */
  redis?: { url: string; prefix: string };
  everyMs?: number;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface HandoffJobs {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** one check now (tests, and the job itself) */
  runOnce(): Promise<number[]>;
}

export function createHandoffJobs(deps: HandoffJobsDeps): HandoffJobs {
  const everyMs = deps.everyMs ?? IDLE_CHECK_MS;
  let timer: NodeJS.Timeout | undefined;
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  const connections: Redis[] = [];
  let running: Promise<unknown> = Promise.resolve();

  const runOnce = async () => {
    const returned = await deps.desk.returnIdle();
    if (returned.length > 0) deps.log?.info({ handoffs: returned }, 'idle handoffs returned to the bot');
    return returned;
  };
  const onError = (err: Error) => deps.log?.warn({ err }, 'handoff idle job failed');

  return {
    runOnce,

    async start() {
      if (!deps.redis) {
        timer = setInterval(() => {
          running = runOnce().catch(onError);
        }, everyMs);
        timer.unref();
        return;
      }
      const producer = new Redis(deps.redis.url, { maxRetriesPerRequest: 20 });
      const consumer = new Redis(deps.redis.url, { maxRetriesPerRequest: null });
      for (const c of [producer, consumer]) {
        c.on('error', onError);
        connections.push(c);
      }
      queue = new Queue(IDLE_QUEUE, { connection: producer, prefix: deps.redis.prefix });
      queue.on('error', onError);
      // Upserting the same scheduler id from every process keeps one schedule in Redis: each tick is
      // one job, taken by one worker, wherever it runs.
      await queue.upsertJobScheduler(
        'idle-return',
        { every: everyMs },
        { name: 'idle-return', opts: { removeOnComplete: 100, removeOnFail: 100 } },
      );
      worker = new Worker(
        IDLE_QUEUE,
        async () => {
          await runOnce();
        },
        { connection: consumer, prefix: deps.redis.prefix, concurrency: 1 },
      );
      worker.on('error', onError);
      worker.on('failed', (_job, err) => onError(err));
    },

    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
      await worker?.close();
      await queue?.close();
      await Promise.allSettled(connections.map((c) => c.quit()));
      connections.length = 0;
    },
  };
}
