import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The number's send budget: at most `limit` sends in any sliding window of `windowMs`.
 *
 * A sliding log, not fixed windows: fixed windows (BullMQ's own limiter) let `limit` through at the end
 * of one window and `limit` more at the start of the next, twice the cap inside one second.
 */
export interface RateLimiter {
  /**
   * Takes up to `n` send slots at once (one round trip for every send waiting): `granted` of them, and
   * when none could be had, `waitMs` until one may free up.
   */
  takeMany(n: number): Promise<Grant>;
  /**
   * Moves a grant's slots to now, once its requests are on their way. A slot is stamped when it is
   * taken, but the requests go out only when this process gets to them: late by however long its event
   * loop was busy (tens of ms on a starved machine). Stamped again after they left, the log holds a time
   * no earlier than each request's, so the next slots cannot bunch up with them at the Cloud API.
   */
  restamp?(grant: Grant): Promise<void>;
}

export interface Grant {
  granted: number;
  waitMs: number;
  /** the limiter's own name for the slots of this grant, for restamp() */
  ticket?: string;
}

/** In-process sliding log: a ring of the last `limit` send times, so a take is O(1) whatever the rate. */
export class MemorySlidingLimiter implements RateLimiter {
  private readonly log: Float64Array;
  private head = 0;
  /** slots ever taken: a grant's ticket is the count at its first slot, so restamp() can find them */
  private taken = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    // Monotonic by default: a wall clock stepped back by NTP would let a burst through.
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer: ${limit}`);
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive: ${windowMs}`);
    // -Infinity marks a slot never used, which is always outside the window.
    this.log = new Float64Array(limit).fill(Number.NEGATIVE_INFINITY);
  }

  /** Synchronous core of `take`, for callers that must not yield (and for tests with a fake clock). */
  tryTake(): number {
    const now = this.clock();
    // The ring holds the last `limit` sends oldest-first from `head`: a new one fits only once the
    // oldest has left the window, which is exactly "fewer than `limit` sends in (now - window, now]".
    const wait = this.log[this.head]! + this.windowMs - now;
    if (wait > 0) return Math.max(1, Math.ceil(wait));
    this.log[this.head] = now;
    this.head = (this.head + 1) % this.limit;
    this.taken++;
    return 0;
  }

  take(): Promise<number> {
    return Promise.resolve(this.tryTake());
  }

  takeMany(n: number): Promise<Grant> {
    const ticket = this.taken;
    let granted = 0;
    let waitMs = 0;
    while (granted < n) {
      waitMs = this.tryTake();
      if (waitMs > 0) break;
      granted++;
    }
    return Promise.resolve({ granted, waitMs: granted > 0 ? 0 : waitMs, ticket: String(ticket) });
  }

  /**
   * The grant's slots, and any taken after them, stamped now (never earlier than they were): the ring
   * stays oldest-first, and the slots given since are stamped again by their own grants.
   */
  restamp(grant: Grant): Promise<void> {
    const first = Math.max(Number(grant.ticket ?? this.taken), this.taken - this.limit);
    const now = this.clock();
    for (let i = first; i < this.taken; i++) {
      const slot = i % this.limit;
      this.log[slot] = Math.max(this.log[slot]!, now);
    }
    return Promise.resolve();
  }
}

// One clock for every process: Redis' own TIME, so that hosts whose clocks disagree still share one log.
// Scores are microseconds; string.format('%.0f') because Lua 5.1 prints numbers with 14 significant
// digits, and a 16-digit timestamp would be rounded when passed to a Redis command.
// KEYS[2] is the whole number's pause (NumberBackoff): while it lives, nobody takes a slot.
// Answers {granted, wait}: up to ARGV[4] slots, all at this one instant; wait only when none was granted.
const TAKE_SCRIPT = `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {0, paused} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local want = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
local free = limit - redis.call('ZCARD', KEYS[1])
local n = math.min(want, free)
if n > 0 then
  local score = string.format('%.0f', now)
  local args = {}
  for i = 1, n do
    args[2 * i - 1] = score
    args[2 * i] = ARGV[3] .. ':' .. i
  end
  redis.call('ZADD', KEYS[1], unpack(args))
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return {n, 0}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return {0, math.max(1, math.ceil((oldest + window - now) / 1000))}
`;

/** Slots one take may ask for: Lua's unpack() has a stack limit well above this. */
const MAX_TAKE = 1000;

// ZADD XX: a slot that already left the window stays gone.
const RESTAMP_SCRIPT = `
local t = redis.call('TIME')
local score = string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2]))
local n = tonumber(ARGV[2])
local args = {}
for i = 1, n do
  args[2 * i - 1] = score
  args[2 * i] = ARGV[1] .. ':' .. i
end
return redis.call('ZADD', KEYS[1], 'XX', unpack(args))
`;

interface RedisWithTake extends Redis {
  outboundSlidingTake(
    key: string,
    pauseKey: string,
    limit: number,
    windowUs: number,
    member: string,
    want: number,
  ): Promise<[number, number]>;
  outboundSlidingRestamp(key: string, member: string, count: number): Promise<number>;
}

/** The same sliding log shared by every process on one Redis: one EVALSHA per take, pause included. */
export class RedisSlidingLimiter implements RateLimiter {
  /** set by NumberBackoff; checked inside the take script, so a pause costs no extra round trip */
  readonly pauseKey: string;
  private readonly redis: RedisWithTake;
  // Members must be unique per send: two processes can take within the same microsecond.
  private readonly tag = randomBytes(6).toString('hex');
  private seq = 0;

  constructor(
    redis: Redis,
    private readonly key: string,
    readonly limit: number,
    readonly windowMs: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer: ${limit}`);
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive: ${windowMs}`);
    this.pauseKey = `${key}:pause`;
    if (!('outboundSlidingTake' in redis)) {
      redis.defineCommand('outboundSlidingTake', { numberOfKeys: 2, lua: TAKE_SCRIPT });
      redis.defineCommand('outboundSlidingRestamp', { numberOfKeys: 1, lua: RESTAMP_SCRIPT });
    }
    this.redis = redis as RedisWithTake;
  }

  async take(): Promise<number> {
    const { granted, waitMs } = await this.takeMany(1);
    return granted > 0 ? 0 : waitMs;
  }

  async takeMany(n: number): Promise<Grant> {
    this.seq = (this.seq + 1) % Number.MAX_SAFE_INTEGER;
    const ticket = `${this.tag}:${this.seq}`;
    const [granted, waitMs] = await this.redis.outboundSlidingTake(
      this.key,
      this.pauseKey,
      this.limit,
      Math.round(this.windowMs * 1000),
      ticket,
      Math.max(1, Math.min(MAX_TAKE, Math.floor(n))),
    );
    return { granted: Number(granted), waitMs: Number(waitMs), ticket };
  }

  async restamp(grant: Grant): Promise<void> {
    if (!grant.ticket || grant.granted === 0) return;
    await this.redis.outboundSlidingRestamp(this.key, grant.ticket, grant.granted);
  }
}

/**
 * The whole number's pause after the Cloud API says it is overloaded (130429 throughput, 80007 account or
 * 4 app rate limits, 5xx): every process stops sending until it ends, instead of each message backing off
 * on its own while the others keep hitting the limit. Each throttle in a row doubles the pause (1 s up to
 * a minute); a success ends the streak.
 */
export class NumberBackoff implements RateLimiter {
  private streak = 0;
  private localUntil = 0;

  constructor(
    private readonly inner: RateLimiter,
    /** shared across processes when given: the pause lives in Redis with its own expiry (the key the
     * inner RedisSlidingLimiter checks) */
    private readonly shared?: { redis: Redis; key: string },
    private readonly clock: () => number = Date.now,
  ) {}

  static pauseMs(streak: number): number {
    return Math.min(60_000, 1000 * 2 ** Math.max(0, streak - 1));
  }

  async takeMany(n: number): Promise<Grant> {
    // Another process's pause is seen by the inner Redis limiter's script, which reads the shared key.
    const local = this.localUntil - this.clock();
    if (local > 0) return { granted: 0, waitMs: Math.ceil(local) };
    return this.inner.takeMany(n);
  }

  restamp(grant: Grant): Promise<void> {
    return this.inner.restamp?.(grant) ?? Promise.resolve();
  }

  async throttled(): Promise<number> {
    this.streak++;
    const ms = NumberBackoff.pauseMs(this.streak);
    this.localUntil = this.clock() + ms;
    if (this.shared) await this.shared.redis.set(this.shared.key, '1', 'PX', ms);
    return ms;
  }

  succeeded(): void {
    this.streak = 0;
  }
}

/** Failures that mean the number as a whole is sending too fast, not that one message is wrong. */
export function isNumberThrottle(f: { code: number | null; httpStatus?: number }): boolean {
  if (f.code === 130429 || f.code === 80007 || f.code === 4) return true;
  return f.code == null && f.httpStatus !== undefined && f.httpStatus >= 500;
}
