import type { Grant, RateLimiter } from './limiter.js';
import { type Priority, Released } from './queue.js';

/**
 * The most slots handed out at once. The sends of one grant start one after the other in the same turn
 * of the event loop, so the last of them reaches the Cloud API later than its slot by the others' work
 * (~60 µs each): 64 keeps that spread to a few ms, inside the limiter's 25 ms guard.
 */
const MAX_GRANT = 64;

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Where this process's sends wait for a slot of the shared budget, replies ahead of blasts.
 *
 * One loop asks the limiter for a slot and hands each one to the first reply waiting, else the first
 * blast, chosen at the moment the slot is granted: a reply that arrives while blasts wait here still
 * goes next. A job holds its place here instead of going back to the queue, so a saturated budget costs
 * no queue churn; and the slot is taken immediately before the request, so the moment the limiter
 * counts is the moment the Cloud API sees, give or take the network.
 */
export class SlotGate {
  private readonly waiting: Record<Priority, Waiter[]> = { reply: [], blast: [] };
  private running = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  get size(): number {
    return this.waiting.reply.length + this.waiting.blast.length;
  }

  acquire(priority: Priority): Promise<void> {
    if (this.closed) return Promise.reject(new Released('outbound is closing'));
    return new Promise<void>((resolve, reject) => {
      this.waiting[priority].push({ resolve, reject });
      if (!this.running) {
        // From the next microtask, so that the sends woken in this same turn share the first ask.
        this.running = true;
        queueMicrotask(() => void this.loop());
      }
    });
  }

  /** Sends every waiter back to the queue (without using an attempt) and stops asking for slots. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    for (const list of [this.waiting.reply, this.waiting.blast]) {
      for (const w of list.splice(0)) w.reject(new Released('outbound is closing'));
    }
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.size > 0) {
        let grant: Grant;
        try {
          // One ask for every send waiting now: a round trip per slot would cap one process near the
          // inverse of Redis' latency.
          grant = await this.limiter.takeMany(Math.min(this.size, MAX_GRANT));
        } catch (err) {
          // Redis unreachable: keep the waiters and ask again shortly rather than fail their sends.
          this.onError(err);
          grant = { granted: 0, waitMs: 250 };
        }
        if (grant.granted === 0) {
          await this.sleep(Math.max(1, grant.waitMs));
          continue;
        }
        for (let i = 0; i < grant.granted; i++) {
          // Each slot goes to the first reply waiting, else the first blast, as it is handed out. With no
          // one left (all released while we asked), the slot goes unused: the cap is still kept.
          const next = this.waiting.reply.shift() ?? this.waiting.blast.shift();
          next?.resolve();
        }
        if (this.limiter.restamp) {
          // After this turn's microtasks and ticks, by when the woken sends have written their requests.
          const restamp = this.limiter.restamp.bind(this.limiter);
          setImmediate(() => void restamp(grant).catch(this.onError));
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
    this.wake = undefined;
    this.timer = undefined;
  }
}
