import { describe, expect, it } from 'vitest';
import { IDLE_MS, isIdle } from '../../../src/conversations/idle.js';

describe('isIdle: whether a message comes too long after the one the waiting flow answered', () => {
  const last = '2026-11-23T03:00:00.000Z';
  const sentLater = (ms: number) => new Date(Date.parse(last) + ms);

  it('waits an hour by default', () => {
    expect(IDLE_MS).toBe(3_600_000);
  });

  it('is not idle within the period, and is from its end on', () => {
    expect(isIdle(last, sentLater(0), IDLE_MS)).toBe(false);
    expect(isIdle(last, sentLater(IDLE_MS - 1), IDLE_MS)).toBe(false);
    expect(isIdle(last, sentLater(IDLE_MS), IDLE_MS)).toBe(true);
    expect(isIdle(last, sentLater(26 * IDLE_MS), IDLE_MS)).toBe(true);
  });

  it('judges by the times the messages were sent: one written earlier, handled late, is not idle', () => {
    expect(isIdle(last, sentLater(-60_000), IDLE_MS)).toBe(false);
  });

  it('never lapses a conversation stored without the time, or with a broken one', () => {
    expect(isIdle(undefined, sentLater(48 * IDLE_MS), IDLE_MS)).toBe(false);
    expect(isIdle('not a time', sentLater(48 * IDLE_MS), IDLE_MS)).toBe(false);
  });
});
