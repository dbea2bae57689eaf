import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * An import of a branch's register is seconds of CPU. Done in one go it holds the event loop: /healthz and
 * the webhooks wait until it ends. Work done in slices lets them in between.
 */
const SLICE_MS = 10;

/** Call at each step of a long loop: every SLICE_MS of work, the event loop gets a turn. */
export function timeSlices(sliceMs = SLICE_MS): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < sliceMs) return undefined;
    return nextTurn().then(() => {
      since = performance.now();
    });
  };
}

/** `items.map(fn)`, in slices. */
export async function mapInSlices<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => R,
): Promise<R[]> {
  const pause = timeSlices();
  const out: R[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i]!, i);
    await pause();
  }
  return out;
}
