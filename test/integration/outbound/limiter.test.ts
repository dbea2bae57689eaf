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

  it('grants a many-slot ask from two connections no more than `limit` in all', async () => {
    const key = `${prefix}:many`;
    const limiters = [new RedisSlidingLimiter(one, key, 10, 300), new RedisSlidingLimiter(two, key, 10, 300)];
    const grants = await Promise.all(Array.from({ length: 8 }, (_, i) => limiters[i % 2]!.takeMany(4)));
    expect(grants.reduce((sum, g) => sum + g.granted, 0)).toBe(10);
    for (const g of grants) if (g.granted === 0) expect(g.waitMs).toBeGreaterThan(0);
    expect(await one.zcard(key)).toBe(10);
  });

  it('restamps a grant at the moment it is told, so the slots leave the window that much later', async () => {
    const key = `${prefix}:restamp`;
    const limiter = new RedisSlidingLimiter(one, key, 3, 300);
    const grant = await limiter.takeMany(3);
    expect(grant.granted).toBe(3);
    const before = (await one.zrange(key, 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
    await sleep(120);
    await limiter.restamp(grant);
    const after = (await one.zrange(key, 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
    expect(after).toHaveLength(3);
    for (const [i, s] of after.entries()) expect(s - before[i]!).toBeGreaterThanOrEqual(100_000);
    // 300 ms after the take but under 300 ms after the restamp: still full
    await sleep(200);
    expect((await limiter.takeMany(1)).granted).toBe(0);
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
