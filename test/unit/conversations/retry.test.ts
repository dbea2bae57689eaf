import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRetries } from '../../../src/conversations/retry.js';

// A sender whose handling failed is handed back to the engine after a backoff: for as long as the fault is
// transient, a few times for one the engine does not know.

const connectionEnded = Object.assign(new Error('terminating connection due to administrator command'), {
  name: 'PostgresError',
  severity: 'FATAL',
  code: '57P01',
});
const bug = new TypeError('cannot read properties of undefined');

describe('trying a sender again', () => {
  let again: string[];
  const log = { warn: vi.fn(), error: vi.fn() };
  const retries = (policy = { firstDelayMs: 1000, maxDelayMs: 8000, triesUnknown: 3 }) =>
    createRetries({ policy, again: (key) => again.push(key), log, random: () => 1 });

  beforeEach(() => {
    vi.useFakeTimers();
    again = [];
    log.warn.mockClear();
    log.error.mockClear();
  });
  afterEach(() => vi.useRealTimers());

  it('tries again after a doubling wait, up to the cap, for as long as the fault is transient', () => {
    const r = retries();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      r.failed('6281234560001', connectionEnded);
      const before = Date.now();
      const n = again.length;
      while (again.length === n) vi.advanceTimersByTime(100);
      waits.push(Date.now() - before);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000]);
    expect(log.error).not.toHaveBeenCalled();
  });

  it('gives an unknown fault up after its tries, saying so without the number', () => {
    const r = retries();
    for (let i = 0; i < 3; i++) {
      r.failed('6281234560001', bug);
      vi.advanceTimersByTime(10_000);
    }
    expect(again).toHaveLength(2);
    expect(log.error).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(log.error.mock.calls)).not.toContain('6281234560001');
    expect(r.waiting()).toBe(0);
  });

  it('forgets a sender handled in the meantime, and everything when stopped', () => {
    const r = retries();
    r.failed('6281234560001', connectionEnded);
    r.failed('6281234560002', connectionEnded);
    r.succeeded('6281234560001');
    r.failed('6281234560003', connectionEnded);
    r.stop();
    r.failed('6281234560004', connectionEnded);
    vi.advanceTimersByTime(60_000);
    expect(again).toEqual([]);
    expect(r.waiting()).toBe(0);
  });
});
