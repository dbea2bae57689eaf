import { describe, expect, it } from 'vitest';
import { classifyFailure, isPairRateLimit } from '../../../src/whatsapp/index.js';

describe('classifyFailure', () => {
  it.each([2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004])('code %i is retryable', (code) => {
    expect(classifyFailure({ code, httpStatus: 400 })).toBe('retryable');
  });

  it.each([
    [1, 'invalid request: inspect first'],
    [100, 'bad parameter'],
    [190, 'expired token'],
    [368, 'policy restriction'],
    [131005, 'permission'],
    [131008, 'missing parameter'],
    [131009, 'invalid parameter'],
    [131026, 'undeliverable'],
    [131048, 'spam-rate limited'],
    [131049, 'per-user marketing limit: the campaign layer reschedules it'],
    [131050, 'user stopped marketing'],
    [131051, 'unsupported type'],
    [131062, 'BSUID recipients not supported for this message'],
    [132000, 'parameter count mismatch'],
    [132001, 'template missing'],
    [132015, 'template paused'],
    [133010, 'business number not registered'],
  ])('code %i is permanent (%s)', (code) => {
    expect(classifyFailure({ code, httpStatus: 400 })).toBe('permanent');
  });

  it('131047 is window-closed, even when flagged transient', () => {
    expect(classifyFailure({ code: 131047, httpStatus: 400 })).toBe('window-closed');
    expect(classifyFailure({ code: 131047, isTransient: true })).toBe('window-closed');
  });

  it('is_transient: true makes an otherwise permanent code retryable', () => {
    expect(classifyFailure({ code: 1, httpStatus: 500, isTransient: true })).toBe('retryable');
    expect(classifyFailure({ code: 1, httpStatus: 500, isTransient: false })).toBe('permanent');
  });

  it('a Graph code decides over the HTTP status; the status decides only without a code', () => {
    expect(classifyFailure({ code: 131026, httpStatus: 500 })).toBe('permanent');
    expect(classifyFailure({ code: null, httpStatus: 500 })).toBe('retryable');
    expect(classifyFailure({ httpStatus: 503 })).toBe('retryable');
    expect(classifyFailure({ httpStatus: 429 })).toBe('retryable');
    expect(classifyFailure({ httpStatus: 400 })).toBe('permanent');
    expect(classifyFailure({ httpStatus: 401 })).toBe('permanent');
    expect(classifyFailure({})).toBe('permanent');
  });

  it('network errors and timeouts are retryable whatever else is set', () => {
    expect(classifyFailure({ network: true })).toBe('retryable');
    expect(classifyFailure({ timedOut: true, code: 190 })).toBe('retryable');
  });
});

describe('isPairRateLimit', () => {
  it('is true for 131056 only', () => {
    expect(isPairRateLimit({ code: 131056 })).toBe(true);
    expect(isPairRateLimit({ code: 130429 })).toBe(false);
    expect(isPairRateLimit({ code: null })).toBe(false);
  });
});
