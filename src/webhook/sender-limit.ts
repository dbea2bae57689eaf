import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';

// WEBHOOK_SENDER_RATE_PER_MINUTE: the messages one sender may have handled in any minute. Each message
// counts once for its sender, however often Meta delivers it (its wamid is remembered for the window),
// and every sender in a delivery counts, not only the first. A delivery in which any sender is past the
// limit is answered 429 as a whole, since a 200 would say every message in it was recorded: Meta delivers
// it again later, and by then the others' messages in it, already counted, are not counted again.

export interface SenderMessage {
  /** the sender's contact key (wa_id or BSUID) */
  contact: string;
  wamid: string;
}

export interface SenderLimit {
  /** Counts these messages; answers the number of senders now past the limit (0: go on). */
  count(messages: readonly SenderMessage[]): Promise<number>;
}

const WINDOW_MS = 60_000;

/**
 * A sender's key in Redis: a keyed hash, so that no phone number is a key name, and none can be found by
 * hashing every Indonesian number (a plain hash of a space that small is no secret).
 */
const keyedBy = (secret: string) => (contact: string) =>
  createHmac('sha256', secret).update(contact).digest('hex').slice(0, 32);

function bySender(
  messages: readonly SenderMessage[],
  keyOf: (contact: string) => string,
): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const m of messages) {
    const key = keyOf(m.contact);
    grouped.set(key, [...(grouped.get(key) ?? []), m.wamid]);
  }
  return grouped;
}

/**
 * Shared by every process through Redis: per sender a sorted set of wamids scored by when each was first
 * seen (ZADD NX keeps that time on a redelivery), trimmed to the last minute. One round trip a delivery.
 */
export function createRedisSenderLimit(opts: {
  redis: Redis;
  prefix: string;
  perMinute: number;
  /** keys the hash of each sender's number (DATA_KEY) */
  secret: string;
  now?: () => number;
}): SenderLimit {
  const now = opts.now ?? Date.now;
  const keyOf = keyedBy(opts.secret);
  return {
    async count(messages) {
      const senders = [...bySender(messages, keyOf)];
      if (senders.length === 0) return 0;
      const at = now();
      const tx = opts.redis.multi();
      for (const [sender, wamids] of senders) {
        const key = `${opts.prefix}sender:${sender}`;
        tx.zremrangebyscore(key, '-inf', at - WINDOW_MS);
        tx.zadd(key, 'NX', ...wamids.flatMap((w) => [at, w]));
        tx.zcard(key);
        tx.pexpire(key, WINDOW_MS);
      }
      const replies = (await tx.exec()) ?? [];
      let over = 0;
      for (let i = 0; i < senders.length; i++) {
        const [err, seen] = replies[i * 4 + 2] ?? [new Error('no reply')];
        if (err) throw err;
        if (Number(seen) > opts.perMinute) over++;
      }
      return over;
    },
  };
}

/** The same for one process (embedded mode). */
export function createMemorySenderLimit(opts: { perMinute: number; now?: () => number }): SenderLimit {
  const now = opts.now ?? Date.now;
  const seen = new Map<string, Map<string, number>>();
  let swept = 0;
  const trim = (wamids: Map<string, number>, since: number) => {
    for (const [w, at] of wamids) if (at <= since) wamids.delete(w);
  };
  return {
    async count(messages) {
      const at = now();
      const since = at - WINDOW_MS;
      if (at - swept > WINDOW_MS) {
        // senders who went quiet would otherwise stay in memory for good
        for (const [sender, wamids] of seen) {
          trim(wamids, since);
          if (wamids.size === 0) seen.delete(sender);
        }
        swept = at;
      }
      let over = 0;
      for (const [sender, wamids] of bySender(messages, (contact) => contact)) {
        const window = seen.get(sender) ?? new Map<string, number>();
        seen.set(sender, window);
        trim(window, since);
        for (const w of wamids) if (!window.has(w)) window.set(w, at);
        if (window.size > opts.perMinute) over++;
      }
      return over;
    },
  };
}

/** Redis when the deployment has one (processes share the counts), else this process's memory. */
export function createSenderLimit(opts: {
  redis: Redis | null;
  prefix: string;
  perMinute: number;
  secret: string;
}): SenderLimit {
  return opts.redis
    ? createRedisSenderLimit({
        redis: opts.redis,
        prefix: opts.prefix,
        perMinute: opts.perMinute,
        secret: opts.secret,
      })
    : createMemorySenderLimit({ perMinute: opts.perMinute });
}
