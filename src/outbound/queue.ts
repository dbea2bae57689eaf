import type { CloudApiFailure } from '../whatsapp/index.js';

export type Priority = 'reply' | 'blast';

export interface Depth {
  waiting: number;
  delayed: number;
  active: number;
}

/** What a job carries: only the row's id. The messages row is the truth about what to send. */
export interface SendJob {
  messageId: number;
  priority: Priority;
}

export interface JobRun extends SendJob {
  /** failed attempts before this one (a run released back to the queue is not an attempt) */
  attemptsMade: number;
  attempts: number;
}

export type Processor = (run: JobRun) => Promise<void>;

/** The port both adapters (BullMQ, in-process) implement, with the same observable behaviour. */
export interface JobQueue {
  /** Adds the message's job unless a live one (waiting, delayed or active) exists for it. */
  add(job: SendJob & { delayMs?: number }): Promise<void>;
  /** Adds many jobs in one round trip where the adapter can (a blast's page of messages). */
  addMany(jobs: (SendJob & { delayMs?: number })[]): Promise<void>;
  /**
   * Recovery: makes sure each message has a live job, replacing one that already finished (completed or
   * failed) so the message runs again. Returns how many jobs were added.
   */
  revive(jobs: SendJob[]): Promise<number>;
  start(processor: Processor): Promise<void>;
  depth(): Promise<Depth>;
  /** Stops taking jobs, waits for the running ones, releases connections. */
  close(): Promise<void>;
}

/**
 * The job goes back to the queue untouched, using no attempt: in front of its priority, or after
 * `delayMs` when it must wait for something first.
 */
export class Released extends Error {
  override readonly name = 'Released';
  constructor(
    message: string,
    readonly delayMs = 0,
  ) {
    super(message);
  }
}

/** The message reached a final state (failed or done): the job ends without another attempt. */
export class FinalFailure extends Error {
  override readonly name = 'FinalFailure';
}

/** A transient failure: the queue tries again after a backoff, while attempts remain. */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
  constructor(readonly failure: Pick<CloudApiFailure, 'code' | 'title' | 'timedOut'>) {
    super(`retryable: ${failure.code ?? (failure.timedOut ? 'timeout' : 'no code')} ${failure.title}`);
  }
}
