import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TemporarilyUnavailableError } from '../faults.js';

/** What the engine keeps per sender between messages: the active flow's persisted XState snapshot. */
export interface StoredConversation {
  machineId: string;
  version: number;
  snapshot: unknown;
  /**
   * who held the sender's number when it was stored (participants' holdersKey): a number that changed
   * owner does not resume the old owner's conversation. Absent: stored before numbers were tracked.
   */
  holders?: string;
  /**
   * when the message this step answered was sent (ISO): a flow whose next message comes too long after it
   * hears TIMEOUT first (idle.ts). Absent: stored before it was kept.
   */
  messageAt?: string;
}

/**
 * The state store port: Redis in production, a Map in embedded mode; both pass the same tests. Entries
 * expire after `ttlSeconds` without a message, so memory stays bounded by the active conversations.
 */
export interface StateStore {
  get(contactKey: string): Promise<StoredConversation | null>;
  set(contactKey: string, value: StoredConversation): Promise<void>;
  delete(contactKey: string): Promise<void>;
  /** runs `work` while no other holder (in any process) works on this sender */
  withLock<T>(contactKey: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class CorruptStateError extends Error {
  override name = 'CorruptStateError';
}

function decode(raw: string): StoredConversation {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new CorruptStateError('stored conversation is not JSON');
  }
  const v = value as Partial<StoredConversation> | null;
  if (!v || typeof v.machineId !== 'string' || typeof v.version !== 'number' || !('snapshot' in v)) {
    throw new CorruptStateError('stored conversation has the wrong shape');
  }
  return v as StoredConversation;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Compare-and-delete: a holder whose lock expired must not release the next holder's lock.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function createRedisStateStore(opts: {
  redis: Redis;
  prefix: string;
  ttlSeconds: number;
  /** a holder that crashed frees the sender after this long */
  lockMs?: number;
  /** give up waiting for a lock after this long (the caller retries the message later) */
  waitMs?: number;
}): StateStore {
  const { redis, prefix, ttlSeconds } = opts;
  const lockMs = opts.lockMs ?? 30_000;
  const waitMs = opts.waitMs ?? 60_000;
  const key = (contactKey: string) => `${prefix}:conv:${contactKey}`;
  return {
    async get(contactKey) {
      const raw = await redis.get(key(contactKey));
      return raw == null ? null : decode(raw);
    },
    async set(contactKey, value) {
      await redis.set(key(contactKey), JSON.stringify(value), 'EX', ttlSeconds);
    },
    async delete(contactKey) {
      await redis.del(key(contactKey));
    },
    async withLock(contactKey, work) {
      const lockKey = `${prefix}:conv-lock:${contactKey}`;
      const token = randomUUID();
      const deadline = Date.now() + waitMs;
      for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
        if ((await redis.set(lockKey, token, 'PX', lockMs, 'NX')) === 'OK') break;
        if (Date.now() > deadline)
          throw new TemporarilyUnavailableError('timed out waiting for a conversation lock');
        await sleep(delay);
      }
      try {
        return await work();
      } finally {
        await redis.eval(RELEASE, 1, lockKey, token);
      }
    },
    async close() {},
  };
}

export function createMemoryStateStore(opts: { ttlSeconds: number; now?: () => number }): StateStore {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { raw: string; expiresAt: number }>();
  const locks = new Map<string, Promise<unknown>>();
  const sweep = setInterval(() => {
    const t = now();
    for (const [k, e] of entries) if (e.expiresAt <= t) entries.delete(k);
  }, 60_000);
  sweep.unref();
  return {
    async get(contactKey) {
      const e = entries.get(contactKey);
      if (!e || e.expiresAt <= now()) return null;
      return decode(e.raw);
    },
    async set(contactKey, value) {
      entries.set(contactKey, { raw: JSON.stringify(value), expiresAt: now() + opts.ttlSeconds * 1000 });
    },
    async delete(contactKey) {
      entries.delete(contactKey);
    },
    withLock(contactKey, work) {
      // a chain per sender: each holder starts when the previous one has finished
      const previous = locks.get(contactKey) ?? Promise.resolve();
      const run = previous.then(work, work);
      const tail = run.catch(() => undefined);
      locks.set(contactKey, tail);
      void tail.then(() => {
        if (locks.get(contactKey) === tail) locks.delete(contactKey);
      });
      return run;
    },
    async close() {
      clearInterval(sweep);
    },
  };
}
