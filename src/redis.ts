import { Redis, type RedisOptions } from 'ioredis';

export interface RedisLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The conversation state and locks: a command waits for Redis through one reconnection at most, then
 * fails (the engine tries the sender again later) instead of holding the engine for a whole outage.
 */
export const STATE_REDIS: RedisOptions = { maxRetriesPerRequest: 1, commandTimeout: 5000 };

/**
 * The rate limits and the readiness check: never wait for Redis. A command fails at once while Redis is
 * away and after half a second when it is slow, and the rate limiter lets the request through.
 */
export const FAIL_FAST_REDIS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 500,
};

/** How often, at most, an outage that goes on is logged again (each reconnection attempt is an error). */
const REPEAT_MS = 60_000;

/**
 * Logs Redis errors through pino rather than ioredis's raw stderr, without a line per reconnection attempt:
 * the first error of an outage at once, then a line a minute saying how many followed, and a line when Redis
 * answers again.
 */
export function redisFaultLog(name: string, log: RedisLog, now: () => number = Date.now) {
  let down = false;
  let since = 0;
  let errors = 0;
  let loggedAt = 0;
  return {
    error(err: unknown): void {
      errors++;
      if (!down) {
        down = true;
        since = now();
        loggedAt = since;
        log.error({ redis: name, err }, 'redis: connection failed; retrying');
        return;
      }
      if (now() - loggedAt >= REPEAT_MS) {
        loggedAt = now();
        log.warn(
          { redis: name, err, errors, downForMs: loggedAt - since },
          'redis: still unreachable; retrying',
        );
      }
    },
    ready(): void {
      if (!down) return;
      log.info({ redis: name, errors, downForMs: now() - since }, 'redis: reachable again');
      down = false;
      errors = 0;
    },
  };
}

/** The connection's errors and its return go to the log (redisFaultLog). */
export function logRedisFaults(redis: Redis, name: string, log: RedisLog): Redis {
  const faults = redisFaultLog(name, log);
  redis.on('error', faults.error);
  redis.on('ready', faults.ready);
  return redis;
}

/** A connection of its own to REDIS_URL whose errors go to the log. */
export function openRedis(url: string, name: string, options: RedisOptions, log: RedisLog): Redis {
  return logRedisFaults(new Redis(url, options), name, log);
}
