import {
  type Depth,
  FinalFailure,
  type JobQueue,
  type Priority,
  type Processor,
  Released,
  type SendJob,
} from './queue.js';

// The embedded mode's queue: the same contract as the BullMQ adapter (priorities, delays, retries with
// backoff, concurrency, released jobs going back in front, one live job per message), held in memory for one process.
// What it holds is lost on exit; the messages rows are not, and start() sweeps them back in.

interface Entry extends SendJob {
  attemptsMade: number;
}

/** A FIFO with O(1) shift and unshift, for a backlog of many thousand blasts. */
class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(x: T): void {
    this.items.push(x);
  }

  unshift(x: T): void {
    if (this.head > 0) this.items[--this.head] = x;
    else this.items.unshift(x);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact now and then so that a long-running queue does not keep a long tail of holes.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}

interface Timed {
  at: number;
  seq: number;
  entry: Entry;
}

/** Binary min-heap on (at, seq): delayed jobs in due order, equal times in insertion order. */
class DelayHeap {
  private readonly items: Timed[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Timed | undefined {
    return this.items[0];
  }

  push(x: Timed): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): Timed | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  private less(x: Timed, y: Timed): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}

export interface MemoryQueueOptions {
  concurrency: number;
  attempts: number;
  /** ms before the next attempt after `attemptsMade` failed ones */
  backoff: (attemptsMade: number, err: unknown) => number;
  clock?: () => number;
}

export class MemoryJobQueue implements JobQueue {
  private readonly ready: Record<Priority, Deque<Entry>> = { reply: new Deque(), blast: new Deque() };
  private readonly delayed = new DelayHeap();
  /** every message with a live job, whether waiting, delayed or running */
  private readonly live = new Map<number, Entry>();
  private readonly running = new Set<Promise<void>>();
  private readonly clock: () => number;
  private processor: Processor | undefined;
  private closed = false;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(private readonly opts: MemoryQueueOptions) {
    this.clock = opts.clock ?? Date.now;
  }

  async addMany(jobs: (SendJob & { delayMs?: number })[]): Promise<void> {
    for (const job of jobs) await this.add(job);
  }

  async add(job: SendJob & { delayMs?: number }): Promise<void> {
    if (this.closed) throw new Error('outbound queue is closed');
    this.insert(job, job.delayMs ?? 0);
    this.pump();
  }

  async revive(jobs: SendJob[]): Promise<number> {
    if (this.closed) throw new Error('outbound queue is closed');
    let added = 0;
    for (const job of jobs) if (this.insert(job, 0)) added++;
    this.pump();
    return added;
  }

  async start(processor: Processor): Promise<void> {
    if (this.closed) throw new Error('outbound queue is closed');
    this.processor ??= processor;
    this.pump();
  }

  async depth(): Promise<Depth> {
    return {
      waiting: this.ready.reply.size + this.ready.blast.size,
      delayed: this.delayed.size,
      active: this.running.size,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private insert(job: SendJob, delayMs: number): boolean {
    if (this.live.has(job.messageId)) return false;
    const entry: Entry = { messageId: job.messageId, priority: job.priority, attemptsMade: 0 };
    this.live.set(job.messageId, entry);
    if (delayMs > 0) this.delayed.push({ at: this.clock() + delayMs, seq: this.seq++, entry });
    else this.ready[entry.priority].push(entry);
    return true;
  }

  /** Starts what may start now, then arms one timer for the next thing that will become possible. */
  private pump(): void {
    if (!this.processor || this.closed) return;
    const now = this.clock();
    for (let next = this.delayed.peek(); next && next.at <= now; next = this.delayed.peek()) {
      this.delayed.pop();
      this.ready[next.entry.priority].push(next.entry);
    }
    while (this.running.size < this.opts.concurrency) {
      // Replies first, always: a participant who answers never waits behind a blast.
      const entry = this.ready.reply.shift() ?? this.ready.blast.shift();
      if (!entry) break;
      this.run(entry);
    }
    this.arm(now);
  }

  private arm(now: number): void {
    const at = this.delayed.peek()?.at ?? Number.POSITIVE_INFINITY;
    if (at === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      // setTimeout takes at most ~24.8 days; a longer delay just wakes early and re-arms.
      Math.min(2 ** 31 - 1, Math.max(0, at - now)),
    );
  }

  private run(entry: Entry): void {
    const processor = this.processor!;
    const task: Promise<void> = processor({ ...entry, attempts: this.opts.attempts })
      .then(
        () => {
          this.live.delete(entry.messageId);
        },
        (err: unknown) => this.settleFailure(entry, err),
      )
      .finally(() => {
        this.running.delete(task);
        this.pump();
      });
    this.running.add(task);
  }

  private settleFailure(entry: Entry, err: unknown): void {
    if (err instanceof Released) {
      // Back to the front of its priority, as BullMQ does with a rate-limited job, or delayed.
      if (err.delayMs > 0) this.delayed.push({ at: this.clock() + err.delayMs, seq: this.seq++, entry });
      else this.ready[entry.priority].unshift(entry);
      return;
    }
    if (err instanceof FinalFailure) {
      this.live.delete(entry.messageId);
      return;
    }
    entry.attemptsMade++;
    if (entry.attemptsMade < this.opts.attempts) {
      const at = this.clock() + this.opts.backoff(entry.attemptsMade, err);
      this.delayed.push({ at, seq: this.seq++, entry });
      return;
    }
    this.live.delete(entry.messageId);
  }
}
