import { describe, expect, it } from 'vitest';
import { MemorySlidingLimiter } from '../../../src/outbound/limiter.js';

function clocked(limit: number, windowMs: number) {
  let t = 0;
  const limiter = new MemorySlidingLimiter(limit, windowMs, () => t);
  return {
    limiter,
    at(ms: number) {
      t = ms;
      return limiter.tryTake();
    },
  };
}

describe('MemorySlidingLimiter', () => {
  it('grants as many of a many-slot ask as the window has room for, and a wait only when it has none', async () => {
    let t = 0;
    const limiter = new MemorySlidingLimiter(5, 1000, () => t);
    expect(await limiter.takeMany(3)).toMatchObject({ granted: 3, waitMs: 0 });
    t = 100;
    expect(await limiter.takeMany(4)).toMatchObject({ granted: 2, waitMs: 0 });
    expect(await limiter.takeMany(4)).toMatchObject({ granted: 0, waitMs: 900 });
    t = 1000;
    // the three of t=0 left the window; the two of t=100 have not
    expect(await limiter.takeMany(10)).toMatchObject({ granted: 3, waitMs: 0 });
  });

  it('stamps a grant again when its requests have left: a busy event loop cannot bunch the next ones with them', async () => {
    let t = 0;
    const limiter = new MemorySlidingLimiter(5, 1000, () => t);
    const first = await limiter.takeMany(3);
    // the process gets to the three requests 300 ms late; two more slots go meanwhile
    t = 200;
    expect((await limiter.takeMany(2)).granted).toBe(2);
    t = 300;
    await limiter.restamp(first);
    // without the restamp the three of t=0 would leave the window at 1,000
    t = 1000;
    expect(await limiter.takeMany(5)).toMatchObject({ granted: 0, waitMs: 300 });
    t = 1300;
    expect((await limiter.takeMany(5)).granted).toBe(5);
  });

  it('restamps only what is still in the ring, and never moves a slot back in time', async () => {
    let t = 0;
    const limiter = new MemorySlidingLimiter(2, 1000, () => t);
    const old = await limiter.takeMany(2);
    t = 1500;
    await limiter.takeMany(2);
    t = 1200;
    await limiter.restamp(old);
    t = 2400;
    // the ring's two slots are the ones of t=1500; a restamp of the grant they replaced changed nothing
    expect(await limiter.takeMany(2)).toMatchObject({ granted: 0, waitMs: 100 });
  });

  it('lets `limit` through at once, then says how long until the oldest leaves the window', () => {
    const l = clocked(3, 1000);
    expect([l.at(0), l.at(0), l.at(10)]).toEqual([0, 0, 0]);
    expect(l.at(10)).toBe(990);
    expect(l.at(999)).toBe(1);
    // Sends at 0 are outside (now - 1000, now] at 1000: two slots free, the one at 10 not yet.
    expect([l.at(1000), l.at(1000)]).toEqual([0, 0]);
    expect(l.at(1000)).toBe(10);
    expect(l.at(1010)).toBe(0);
  });

  it('counts a sliding window, not fixed ones: no double burst across a second boundary', () => {
    const l = clocked(5, 1000);
    for (let i = 0; i < 5; i++) expect(l.at(900 + i)).toBe(0);
    // A fixed-window limiter would start a fresh window at 1000 and allow five more here.
    expect(l.at(1001)).toBe(899);
    expect(l.at(1899)).toBe(1);
    expect(l.at(1900)).toBe(0);
    expect(l.at(1900)).toBe(1);
  });

  it('rounds a fractional wait up, and never answers a wait of 0 when it took nothing', () => {
    const l = clocked(1, 1000);
    expect(l.at(0.4)).toBe(0);
    expect(l.at(1000)).toBe(1);
    expect(l.at(1000.4)).toBe(0);
  });

  it('never admits more than `limit` in any window and never refuses with a free slot (random traffic)', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const limit = 7;
    const windowMs = 100;
    let t = 0;
    const limiter = new MemorySlidingLimiter(limit, windowMs, () => t);
    const admitted: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      t += random() * 6;
      const inWindow = admitted.filter((s) => s > t - windowMs).length;
      const wait = limiter.tryTake();
      if (wait === 0) {
        expect(inWindow).toBeLessThan(limit);
        admitted.push(t);
      } else {
        expect(inWindow).toBe(limit);
        const oldest = admitted.filter((s) => s > t - windowMs)[0]!;
        expect(wait).toBe(Math.max(1, Math.ceil(oldest + windowMs - t)));
      }
    }
    expect(admitted.length).toBeGreaterThan(1000);
  });

  it('costs well under a microsecond a take at 1,000 mps', () => {
    const limiter = new MemorySlidingLimiter(1000, 1000);
    const n = 200_000;
    const start = performance.now();
    for (let i = 0; i < n; i++) limiter.tryTake();
    const perTakeUs = ((performance.now() - start) * 1000) / n;
    expect(perTakeUs).toBeLessThan(5);
  });

  it('refuses a limit or window that cannot work', () => {
    expect(() => new MemorySlidingLimiter(0, 1000)).toThrow(RangeError);
    expect(() => new MemorySlidingLimiter(1.5, 1000)).toThrow(RangeError);
    expect(() => new MemorySlidingLimiter(5, 0)).toThrow(RangeError);
  });
});
