/**
 * Group commit: the calls that come while earlier statements are under way wait, and then go together as
 * one statement. Under load a stage (a send's claim, a webhook's recording) costs one round trip for many
 * callers instead of one each; a lone call waits for nobody.
 *
 * Each caller is answered with its own result once the statement that carried its item has committed.
 * A failed statement fails every caller in it, unless the items can be tried alone (`alone`): then each is,
 * so that one bad item fails only its own caller.
 */
export interface GroupCommit<In, Out> {
  /** One statement for many items; answers one result per item, in the items' order. */
  commit(items: In[]): Promise<Out[]>;
  /**
   * What an item weighs towards `maxWeight` (a webhook delivery: the statuses it carries), 1 if not told.
   * Asked once, when the item is given.
   */
  weight?: (item: In) => number;
  /**
   * A batch closes before the item that would take its weight past this (unbounded if not told). The
   * first item of a batch always goes, however heavy: it would weigh as much in a batch of its own.
   */
  maxWeight?: number;
  /**
   * Statements at once, 2 if not told: one being answered while the next gathers and is sent, so a
   * stage never waits a whole round trip idle, and never takes more than two of the pool's connections.
   */
  maxInFlight?: number;
  /**
   * When a call with a free slot goes. `now` (the default): at once, so a lone call (a webhook on a quiet
   * line) adds no latency. `turn`: after the rest of this turn of the event loop (setImmediate, after the
   * I/O that woke the other callers), so calls that arrive together start together even with slots free;
   * for stages that many sends reach in the same turn.
   */
  gather?: 'now' | 'turn';
  /**
   * The item on its own, when the statement that carried it failed: each item of the failed batch is
   * tried this way, all at once (they run beside the batches, outside `maxInFlight`), and each caller gets
   * its own outcome. Without it a failed statement fails every caller in it.
   */
  alone?: (item: In) => Promise<Out>;
  /**
   * Whether a failed statement's items are tried alone, given its error and how many items it carried
   * (every failure, if not told). Only asked when `alone` is given.
   */
  fallBackOn?: (err: unknown, items: number) => boolean;
}

interface Waiting<In, Out> {
  item: In;
  weight: number;
  resolve(out: Out): void;
  reject(err: unknown): void;
}

/** A promise, also from a function that throws before it returns one, so that no caller is left waiting. */
function attempt<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run();
  } catch (err) {
    return Promise.reject(err);
  }
}

/** A function over many items as a function over one, sharing statements with concurrent callers. */
export function groupCommit<In, Out>(opts: GroupCommit<In, Out>): (item: In) => Promise<Out> {
  const maxWeight = opts.maxWeight ?? Number.POSITIVE_INFINITY;
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
  const weigh = opts.weight ?? (() => 1);
  const { alone } = opts;
  const fallBackOn = opts.fallBackOn ?? (() => true);
  let waiting: Waiting<In, Out>[] = [];
  let inFlight = 0;
  let scheduled = false;

  const take = (): Waiting<In, Out>[] => {
    let n = 1;
    let total = waiting[0]!.weight;
    while (n < waiting.length && total + waiting[n]!.weight <= maxWeight) total += waiting[n++]!.weight;
    if (n === waiting.length) {
      const batch = waiting;
      waiting = [];
      return batch;
    }
    return waiting.splice(0, n);
  };

  const failed = (batch: Waiting<In, Out>[], err: unknown) => {
    if (alone && fallBackOn(err, batch.length))
      for (const w of batch) attempt(() => alone(w.item)).then(w.resolve, w.reject);
    else for (const w of batch) w.reject(err);
  };

  const flush = () => {
    while (waiting.length > 0 && inFlight < maxInFlight) {
      const batch = take();
      inFlight++;
      attempt(() => opts.commit(batch.map((w) => w.item)))
        .then(
          (outs) => {
            if (outs.length !== batch.length) {
              const err = new Error(`batch answered ${outs.length} of ${batch.length}`);
              for (const w of batch) w.reject(err);
            } else for (const [i, w] of batch.entries()) w.resolve(outs[i]!);
          },
          (err: unknown) => failed(batch, err),
        )
        // an answer that is not a list, or a fallBackOn that throws: its callers are still answered (a
        // caller already answered stays answered)
        .catch((err: unknown) => {
          for (const w of batch) w.reject(err);
        })
        .finally(() => {
          inFlight--;
          kick();
        });
    }
  };

  const kick = () => {
    if (opts.gather !== 'turn') return flush();
    if (scheduled || waiting.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      flush();
    });
  };

  return (item) =>
    new Promise<Out>((resolve, reject) => {
      waiting.push({ item, weight: weigh(item), resolve, reject });
      kick();
    });
}
