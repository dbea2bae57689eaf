import { describe, expect, it } from 'vitest';
import { backoffDelay, MAX_BACKOFF_MS } from '../../../src/outbound/backoff.js';
import { MemoryJobQueue } from '../../../src/outbound/memory-queue.js';
import { FinalFailure, type JobRun, Released, RetryLater } from '../../../src/outbound/queue.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

const queueWith = (over: Partial<ConstructorParameters<typeof MemoryJobQueue>[0]> = {}) =>
  new MemoryJobQueue({ concurrency: 1, attempts: 3, backoff: () => 10, ...over });

describe('MemoryJobQueue', () => {
  it('runs every waiting reply before any waiting blast, each kind in order', async () => {
    const q = queueWith();
    const ran: number[] = [];
    for (let id = 1; id <= 5; id++) await q.add({ messageId: id, priority: 'blast' });
    await q.add({ messageId: 100, priority: 'reply' });
    await q.add({ messageId: 101, priority: 'reply' });
    await q.start(async (run) => {
      ran.push(run.messageId);
    });
    await until(() => ran.length === 7);
    expect(ran).toEqual([100, 101, 1, 2, 3, 4, 5]);
    await q.close();
  });

  it('keeps one live job per message', async () => {
    const q = queueWith();
    const ran: number[] = [];
    await q.add({ messageId: 1, priority: 'blast' });
    await q.add({ messageId: 1, priority: 'blast' });
    expect(await q.revive([{ messageId: 1, priority: 'blast' }])).toBe(0);
    await q.start(async (run) => {
      ran.push(run.messageId);
    });
    await until(() => ran.length === 1);
    await sleep(30);
    expect(ran).toEqual([1]);
    // Finished: a revive gives it a job again.
    expect(await q.revive([{ messageId: 1, priority: 'blast' }])).toBe(1);
    await until(() => ran.length === 2);
    await q.close();
  });

  it('puts a released job back in front of its priority, without using an attempt', async () => {
    const q = queueWith();
    const runs: JobRun[] = [];
    await q.add({ messageId: 1, priority: 'blast' });
    await q.add({ messageId: 2, priority: 'blast' });
    await q.start(async (run) => {
      runs.push(run);
      if (runs.length === 1) throw new Released('closing');
    });
    await until(() => runs.length === 3);
    expect(runs.map((r) => [r.messageId, r.attemptsMade])).toEqual([
      [1, 0],
      [1, 0],
      [2, 0],
    ]);
    await q.close();
  });

  it('retries with backoff until attempts run out, and a final failure ends at once', async () => {
    const q = queueWith({ attempts: 3 });
    const seen: JobRun[] = [];
    await q.add({ messageId: 1, priority: 'blast' });
    await q.add({ messageId: 2, priority: 'blast' });
    await q.start(async (run) => {
      seen.push(run);
      if (run.messageId === 1) throw new RetryLater({ code: 130429, title: 'throughput', timedOut: false });
      throw new FinalFailure('no');
    });
    await until(() => seen.filter((r) => r.messageId === 1).length === 3);
    await sleep(50);
    expect(seen.filter((r) => r.messageId === 1).map((r) => r.attemptsMade)).toEqual([0, 1, 2]);
    expect(seen.filter((r) => r.messageId === 2)).toHaveLength(1);
    expect(await q.depth()).toEqual({ waiting: 0, delayed: 0, active: 0 });
    await q.close();
  });

  it('holds a delayed job until its time', async () => {
    const q = queueWith();
    const ran: { id: number; at: number }[] = [];
    const t0 = Date.now();
    await q.start(async (run) => {
      ran.push({ id: run.messageId, at: Date.now() - t0 });
    });
    await q.add({ messageId: 1, priority: 'reply', delayMs: 60 });
    await q.add({ messageId: 2, priority: 'blast' });
    expect((await q.depth()).delayed).toBe(1);
    await until(() => ran.length === 2);
    expect(ran[0]!.id).toBe(2);
    expect(ran[1]!.at).toBeGreaterThanOrEqual(55);
    await q.close();
  });

  it('close() resolves only after running jobs finish, and starts no more', async () => {
    const q = queueWith({ concurrency: 2 });
    const finished: number[] = [];
    for (let id = 1; id <= 4; id++) await q.add({ messageId: id, priority: 'blast' });
    await q.start(async (run) => {
      await sleep(60);
      finished.push(run.messageId);
    });
    await sleep(10);
    await q.close();
    expect(finished).toEqual([1, 2]);
    await expect(q.add({ messageId: 9, priority: 'reply' })).rejects.toThrow(/closed/);
  });
});

describe('backoffDelay', () => {
  it('doubles from the base, with jitter in the upper half', () => {
    expect(backoffDelay(1, new Error('x'), 1000, () => 0)).toBe(500);
    expect(backoffDelay(1, new Error('x'), 1000, () => 1)).toBe(1000);
    expect(backoffDelay(4, new Error('x'), 1000, () => 1)).toBe(8000);
    expect(backoffDelay(40, new Error('x'), 1000, () => 1)).toBe(MAX_BACKOFF_MS);
  });

  it('follows 4^X seconds for the pair rate limit (131056)', () => {
    const pair = new RetryLater({ code: 131056, title: 'pair rate limit', timedOut: false });
    expect([1, 2, 3].map((n) => backoffDelay(n, pair, 1000))).toEqual([1000, 4000, 16_000]);
  });
});
