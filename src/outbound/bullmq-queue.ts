import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type Depth, FinalFailure, type JobQueue, type Processor, Released, type SendJob } from './queue.js';

export const QUEUE_NAME = 'outbound';

// One queue with BullMQ priorities rather than a queue per kind: the prioritized set hands out the
// lowest priority first in O(log n), so a reply enqueued behind 10,000 blasts is the next job fetched,
// by any worker of any process, with no second worker splitting the concurrency and no polling of two
// queues. Both kinds carry a priority because BullMQ runs un-prioritized jobs (0) before all others.
const PRIORITY = { reply: 1, blast: 2 } as const;

const jobIdFor = (messageId: number): string => `msg-${messageId}`;

export interface BullQueueOptions {
  url: string;
  prefix: string;
  concurrency: number;
  attempts: number;
  backoff: (attemptsMade: number, err: unknown) => number;
  onError: (err: Error) => void;
}

export function createBullQueue(opts: BullQueueOptions): JobQueue {
  // The producer side never waits for Redis: while it is away a command fails at once, and the message,
  // already a row, waits for the sweep (outbound.ts). The worker side waits Redis out, as BullMQ requires
  // of a blocking connection.
  const producer = new Redis(opts.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 5000,
  });
  producer.on('error', opts.onError);
  const queue = new Queue<SendJob>(QUEUE_NAME, { connection: producer, prefix: opts.prefix });
  queue.on('error', opts.onError);
  let consumer: Redis | undefined;
  let worker: Worker<SendJob> | undefined;
  let closing: Promise<void> | undefined;

  const jobOptions = (job: SendJob, delayMs = 0) => ({
    jobId: jobIdFor(job.messageId),
    priority: PRIORITY[job.priority],
    delay: delayMs > 0 ? delayMs : undefined,
    attempts: opts.attempts,
    backoff: { type: 'outbound' },
    // Finished jobs are kept a while for inspection; the row, not the job, is what stops a re-send.
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  });

  return {
    async add(job) {
      await queue.add(
        'send',
        { messageId: job.messageId, priority: job.priority },
        jobOptions(job, job.delayMs),
      );
    },

    async addMany(jobs) {
      if (jobs.length === 0) return;
      await queue.addBulk(
        jobs.map((job) => ({
          name: 'send',
          data: { messageId: job.messageId, priority: job.priority },
          opts: jobOptions(job, job.delayMs),
        })),
      );
    },

    async revive(jobs) {
      const states = await Promise.all(jobs.map((j) => queue.getJobState(jobIdFor(j.messageId))));
      const missing: SendJob[] = [];
      for (const [i, state] of states.entries()) {
        const job = jobs[i]!;
        if (state === 'completed' || state === 'failed') {
          // A finished job would block the re-add by its id; the row says the message is not done.
          await queue.remove(jobIdFor(job.messageId));
          missing.push(job);
        } else if (state === 'unknown') {
          missing.push(job);
        }
      }
      if (missing.length > 0) {
        await queue.addBulk(
          missing.map((j) => ({
            name: 'send',
            data: { messageId: j.messageId, priority: j.priority },
            opts: jobOptions(j),
          })),
        );
      }
      return missing.length;
    },

    async start(processor: Processor) {
      if (worker || closing) return;
      consumer = new Redis(opts.url, { maxRetriesPerRequest: null });
      consumer.on('error', opts.onError);
      worker = new Worker<SendJob>(
        QUEUE_NAME,
        async (job: Job<SendJob>, token?: string) => {
          try {
            await processor({
              messageId: job.data.messageId,
              priority: job.data.priority,
              attemptsMade: job.attemptsMade,
              attempts: job.opts.attempts ?? opts.attempts,
            });
          } catch (err) {
            if (err instanceof Released) {
              // BullMQ's ways of putting an active job back without using an attempt: delayed, or (its
              // rate-limit error) in front of its priority.
              if (err.delayMs > 0) {
                await job.moveToDelayed(Date.now() + err.delayMs, token);
                throw new DelayedError();
              }
              throw Worker.RateLimitError();
            }
            if (err instanceof FinalFailure) throw new UnrecoverableError(err.message);
            throw err;
          }
        },
        {
          connection: consumer,
          prefix: opts.prefix,
          concurrency: opts.concurrency,
          settings: { backoffStrategy: (attemptsMade, _type, err) => opts.backoff(attemptsMade, err) },
          autorun: false,
        },
      );
      worker.on('error', opts.onError);
      void worker.run().catch(opts.onError);
      await worker.waitUntilReady();
    },

    async depth(): Promise<Depth> {
      const c = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      return {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        delayed: c.delayed ?? 0,
        active: c.active ?? 0,
      };
    },

    close() {
      closing ??= (async () => {
        // worker.close() lets running jobs finish (and settle in Redis) before it resolves.
        await worker?.close();
        await queue.close();
        await Promise.allSettled([producer.quit(), consumer?.quit()]);
      })();
      return closing;
    },
  };
}
