import { describe, expect, it } from 'vitest';
import { SlotGate } from '../../../src/outbound/gate.js';
import { MemorySlidingLimiter, type RateLimiter } from '../../../src/outbound/limiter.js';
import { Released } from '../../../src/outbound/queue.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('SlotGate', () => {
  it('hands each slot to a waiting reply before any waiting blast, chosen when the slot frees', async () => {
    const gate = new SlotGate(new MemorySlidingLimiter(1, 60));
    const order: string[] = [];
    const wait = (name: string, p: 'reply' | 'blast') => gate.acquire(p).then(() => order.push(name));
    const all = [wait('b1', 'blast'), wait('b2', 'blast'), wait('b3', 'blast')];
    await sleep(20);
    // b1 has its slot; b2 and b3 wait for the next. A reply arriving now still goes first.
    all.push(wait('r1', 'reply'));
    await Promise.all(all);
    expect(order).toEqual(['b1', 'r1', 'b2', 'b3']);
    gate.close();
  });

  it('grants no more than the limiter allows, spread over its window', async () => {
    const gate = new SlotGate(new MemorySlidingLimiter(3, 100));
    const t0 = performance.now();
    const at: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, () => gate.acquire('blast').then(() => at.push(performance.now() - t0))),
    );
    expect(at.filter((t) => t < 90)).toHaveLength(3);
    expect(at[6]).toBeGreaterThanOrEqual(195);
    gate.close();
  });

  it('releases every waiter on close, and refuses new ones', async () => {
    const gate = new SlotGate(new MemorySlidingLimiter(1, 10_000));
    await gate.acquire('blast');
    const held = [gate.acquire('reply'), gate.acquire('blast')];
    gate.close();
    for (const p of held) await expect(p).rejects.toBeInstanceOf(Released);
    await expect(gate.acquire('reply')).rejects.toBeInstanceOf(Released);
  });

  it('asks the limiter once for every send waiting at that moment, and restamps what it granted', async () => {
    const asks: number[] = [];
    const restamped: number[] = [];
    const counting: RateLimiter = {
      async takeMany(n) {
        asks.push(n);
        return { granted: n, waitMs: 0, ticket: 't' };
      },
      async restamp(grant) {
        restamped.push(grant.granted);
      },
    };
    const gate = new SlotGate(counting);
    await Promise.all(Array.from({ length: 10 }, () => gate.acquire('blast')));
    expect(asks).toEqual([10]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(restamped).toEqual([10]);
    gate.close();
  });

  it('keeps its waiters through a limiter failure and asks again', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const flaky: RateLimiter = {
      async takeMany(n) {
        calls++;
        if (calls === 1) throw new Error('redis down');
        return { granted: n, waitMs: 0 };
      },
    };
    const gate = new SlotGate(flaky, (err) => errors.push(err));
    await gate.acquire('reply');
    expect(errors).toHaveLength(1);
    expect(calls).toBe(2);
    gate.close();
  });
});
