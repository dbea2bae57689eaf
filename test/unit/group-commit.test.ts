import { describe, expect, it } from 'vitest';
import { groupCommit } from '../../src/group-commit.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A commit that holds each statement until released, recording what each statement carried. */
function held<T>() {
  const runs: T[][] = [];
  const releases: (() => void)[] = [];
  const commit = async (items: T[]) => {
    runs.push(items);
    await new Promise<void>((resolve) => releases.push(resolve));
    return items;
  };
  return { runs, commit, release: (i: number) => releases[i]!() };
}

describe('groupCommit', () => {
  it("answers each caller with its own result, in its items' order", async () => {
    const runs: number[][] = [];
    const double = groupCommit({
      gather: 'turn',
      commit: async (items: number[]) => {
        runs.push(items);
        return items.map((x) => x * 2);
      },
    });
    expect(await Promise.all([1, 2, 3].map((x) => double(x)))).toEqual([2, 4, 6]);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it('sends a lone call at once by default, and gathers the calls that come meanwhile', async () => {
    const s = held<number>();
    const record = groupCommit({ commit: s.commit, maxInFlight: 1 });
    const first = record(1);
    expect(s.runs).toEqual([[1]]);
    const later = [record(2), record(3), record(4)];
    await turn();
    expect(s.runs).toEqual([[1]]);
    s.release(0);
    await turn();
    expect(s.runs).toEqual([[1], [2, 3, 4]]);
    s.release(1);
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4]);
  });

  it('waits for the rest of the turn when told to, even with a slot free', async () => {
    const s = held<number>();
    const record = groupCommit({ commit: s.commit, gather: 'turn' });
    const calls = [record(1), record(2)];
    expect(s.runs).toEqual([]);
    await turn();
    expect(s.runs).toEqual([[1, 2]]);
    s.release(0);
    expect(await Promise.all(calls)).toEqual([1, 2]);
  });

  it('closes a batch at its maximum weight; an item heavier than that goes alone', async () => {
    const s = held<{ name: string; n: number }>();
    const record = groupCommit({
      commit: s.commit,
      gather: 'turn',
      maxInFlight: 4,
      weight: (d) => d.n,
      maxWeight: 6,
    });
    const items = [
      { name: 'a', n: 3 },
      { name: 'b', n: 3 },
      { name: 'c', n: 4 },
      { name: 'd', n: 9 },
      { name: 'e', n: 1 },
      { name: 'f', n: 1 },
    ];
    const calls = items.map((d) => record(d));
    await turn();
    expect(s.runs.map((run) => run.map((d) => d.name))).toEqual([['a', 'b'], ['c'], ['d'], ['e', 'f']]);
    for (const i of [3, 2, 1, 0]) s.release(i);
    expect(await Promise.all(calls)).toEqual(items);
  });

  it('tries the items of a failed statement alone: only the bad item fails, only for its own caller', async () => {
    const statements: string[][] = [];
    const record = groupCommit({
      gather: 'turn',
      commit: async (items: string[]) => {
        statements.push(items);
        if (items.includes('bad')) throw new Error('bad data');
        return items.map((x) => x.toUpperCase());
      },
      alone: async (item) => {
        if (item === 'bad') throw new Error(`cannot store ${item}`);
        return `${item.toUpperCase()} alone`;
      },
    });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((x) => record(x)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 'A alone' },
      { status: 'rejected', reason: new Error('cannot store bad') },
      { status: 'fulfilled', value: 'C alone' },
    ]);
    expect(statements).toEqual([['a', 'bad', 'c']]);
    // the slot is free again: the next call is a statement of its own
    expect(await record('d')).toBe('D');
  });

  it('fails every caller of a failed statement with its error when fallBackOn declines, and no others', async () => {
    const seen: number[] = [];
    const record = groupCommit({
      gather: 'turn',
      maxWeight: 2,
      commit: async (items: number[]) => {
        if (items.includes(3)) throw new Error('server away');
        return items;
      },
      alone: async (item) => item,
      fallBackOn: (err, n) => {
        seen.push(n);
        return !(err instanceof Error && err.message === 'server away');
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((x) => record(x)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect(seen).toEqual([2]);
  });

  it('fails every caller of a failed statement when there is no alone, and no others', async () => {
    const record = groupCommit({
      gather: 'turn',
      maxWeight: 2,
      commit: async (items: number[]) => {
        if (items.includes(3)) throw new Error('no threes');
        return items;
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((x) => record(x)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });

  describe('leaves no caller waiting', () => {
    it('when the statement answers the wrong number of results', async () => {
      const short = groupCommit({ gather: 'turn', commit: async (items: number[]) => items.slice(1) });
      await expect(Promise.all([short(1), short(2)])).rejects.toThrow(/answered 1 of 2/);
    });

    it('when commit or alone throws before it returns a promise', async () => {
      const record = groupCommit<number, number>({
        gather: 'turn',
        commit: () => {
          throw new Error('commit threw');
        },
        alone: (item) => {
          if (item === 2) throw new Error('alone threw');
          return Promise.resolve(item);
        },
      });
      const results = await Promise.allSettled([1, 2].map((x) => record(x)));
      expect(results).toEqual([
        { status: 'fulfilled', value: 1 },
        { status: 'rejected', reason: new Error('alone threw') },
      ]);
    });

    it('when the answer is not a list, or fallBackOn throws', async () => {
      const notAList = groupCommit<number, number>({
        commit: async () => null as unknown as number[],
      });
      await expect(notAList(1)).rejects.toThrow();
      const fallBackThrows = groupCommit<number, number>({
        commit: async () => {
          throw new Error('failed');
        },
        alone: async (item) => item,
        fallBackOn: () => {
          throw new Error('undecided');
        },
      });
      await expect(fallBackThrows(1)).rejects.toThrow('undecided');
      // and the slots are given back each time
      await expect(Promise.allSettled([1, 2, 3].map((x) => notAList(x)))).resolves.toHaveLength(3);
    });

    it('when weight throws: that call alone is refused', async () => {
      const record = groupCommit({
        commit: async (items: number[]) => items,
        weight: (x: number) => {
          if (x < 0) throw new Error('no weight');
          return 1;
        },
      });
      await expect(record(-1)).rejects.toThrow('no weight');
      expect(await record(1)).toBe(1);
    });
  });
});
