import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSlidingLimiter } from '../../../src/outbound/limiter.js';
import { createTestRedis, flushPrefix, hasServers, testRedisPrefix } from '../../support/servers.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe.skipIf(!hasServers)('RedisSlidingLimiter', () => {
  let one: Redis;
  let two: Redis;
  const prefix = testRedisPrefix();
  beforeAll(() => {
    one = createTestRedis();
    two = createTestRedis();
  });
  afterAll(async () => {
    await flushPrefix(one, prefix);
    await Promise.all([one.quit(), two.quit()]);
  });

  it('grants exactly `limit` of a burst from two connections, then the wait it names is enough', async () => {
    const key = `${prefix}:burst`;
    const limiters = [new RedisSlidingLimiter(one, key, 10, 300), new RedisSlidingLimiter(two, key, 10, 300)];
    const waits = await Promise.all(Array.from({ length: 60 }, (_, i) => limiters[i % 2]!.take()));
    expect(waits.filter((w) => w === 0)).toHaveLength(10);
    const longest = Math.max(...waits);
    expect(longest).toBeGreaterThan(250);
    expect(longest).toBeLessThanOrEqual(300);
    await sleep(Math.max(...waits) + 5);
    const again = await Promise.all(Array.from({ length: 12 }, (_, i) => limiters[i % 2]!.take()));
    expect(again.filter((w) => w === 0)).toHaveLength(10);
  });

  it('keeps microsecond send times exact in the log (no Lua number rounding)', async () => {
    const key = `${prefix}:precision`;
    const limiter = new RedisSlidingLimiter(one, key, 100, 1000);
    for (let i = 0; i < 5; i++) expect(await limiter.take()).toBe(0);
    const scores = (await one.zrange(key, 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1);
    const [seconds, micros] = await one.time();
    const nowUs = Number(seconds) * 1e6 + Number(micros);
    for (const s of scores) {
      expect(s).toMatch(/^\d{16}$/);
      expect(nowUs - Number(s)).toBeLessThan(1e6);
    }
    expect(new Set(scores).size).toBeGreaterThan(1);
  });

  it('takes no slot while the number is paused, from whichever process set the pause', async () => {
    const limiter = new RedisSlidingLimiter(one, `${prefix}:paused`, 10, 1000);
    await two.set(limiter.pauseKey, '1', 'PX', 300);
    const wait = await limiter.take();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(300);
    expect(await one.zcard(`${prefix}:paused`)).toBe(0);
    await new Promise((r) => setTimeout(r, wait + 20));
    expect(await limiter.take()).toBe(0);
  });
});
