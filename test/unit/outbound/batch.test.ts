import { describe, expect, it } from 'vitest';
import { batched } from '../../../src/outbound/batch.js';

describe('batched', () => {
  it('runs the calls of one turn as one batch and answers each caller with its own result', async () => {
    const runs: number[][] = [];
    const double = batched(async (items: number[]) => {
      runs.push(items);
      return items.map((x) => x * 2);
    });
    const answers = await Promise.all([1, 2, 3].map((x) => double(x)));
    expect(answers).toEqual([2, 4, 6]);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it('gathers the calls that come while its batches are under way into the next one', async () => {
    const runs: number[][] = [];
    let release: () => void = () => {};
    const slow = batched(
      async (items: number[]) => {
        runs.push(items);
        if (runs.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return items;
      },
      { maxInFlight: 1 },
    );
    const first = slow(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [slow(2), slow(3)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3]);
    expect(runs).toEqual([[1], [2, 3]]);
  });

  it('splits at maxBatch, and a failed batch fails only its own callers', async () => {
    const fails = batched(
      async (items: number[]) => {
        if (items.includes(3)) throw new Error('no threes');
        return items;
      },
      { maxBatch: 2 },
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((x) => fails(x)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });

  it('rejects every caller when the batch answers the wrong number of results', async () => {
    const short = batched(async (items: number[]) => items.slice(1));
    await expect(Promise.all([short(1), short(2)])).rejects.toThrow(/answered 1 of 2/);
  });
});
