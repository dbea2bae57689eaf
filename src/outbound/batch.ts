/**
 * Turns a function over many items into a function over one, by gathering the calls that come while the
 * previous batch is under way: under load every stage of the sender runs one statement for all the sends
 * at that stage, instead of one each; a lone call (a reply on a quiet line) waits for nobody.
 *
 * `run` answers in the order of its items. A batch that throws fails every call in it; each caller's own
 * error handling (the queue's retry) takes over, as it would for a single statement.
 */
export function batched<In, Out>(
  run: (items: In[]) => Promise<Out[]>,
  opts: { maxBatch?: number; maxInFlight?: number } = {},
): (item: In) => Promise<Out> {
  const maxBatch = opts.maxBatch ?? 500;
  // Two batches in flight: one being answered while the next gathers and is sent, so a stage never
  // waits a whole round trip idle, and no stage takes more than two of the pool's connections.
  const maxInFlight = opts.maxInFlight ?? 2;
  let waiting: { item: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    while (waiting.length > 0 && inFlight < maxInFlight) {
      const batch = waiting.length <= maxBatch ? waiting : waiting.slice(0, maxBatch);
      waiting = waiting.length <= maxBatch ? [] : waiting.slice(maxBatch);
      inFlight++;
      run(batch.map((w) => w.item))
        .then(
          (outs) => {
            if (outs.length !== batch.length)
              throw new Error(`batch answered ${outs.length} of ${batch.length}`);
            for (const [i, w] of batch.entries()) w.resolve(outs[i]!);
          },
          (err: unknown) => {
            for (const w of batch) w.reject(err);
          },
        )
        .catch((err: unknown) => {
          for (const w of batch) w.reject(err);
        })
        .finally(() => {
          inFlight--;
          schedule();
        });
    }
  };
  // The first call of a turn waits for the rest of that turn's calls (setImmediate: after the I/O that
  // woke the other sends), then goes.
  const schedule = () => {
    if (scheduled || waiting.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(flush);
  };

  return (item) =>
    new Promise<Out>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      schedule();
    });
}
