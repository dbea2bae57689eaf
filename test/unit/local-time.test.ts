import { describe, expect, it } from 'vitest';
import { addDays, instantAt, localDate, localTime, nextLocalTime } from '../../src/local-time.js';

const at = (iso: string) => new Date(iso);

describe("Indonesia's three zones", () => {
  // One instant, three clocks: 16:30 UTC is 23:30 WIB, 00:30 WITA and 01:30 WIT the next day.
  const instant = at('2026-03-09T16:30:00Z');

  it.each([
    ['Asia/Jakarta', { date: '2026-03-09', weekday: 1, minutes: 23 * 60 + 30 }],
    ['Asia/Makassar', { date: '2026-03-10', weekday: 2, minutes: 30 }],
    ['Asia/Jayapura', { date: '2026-03-10', weekday: 2, minutes: 90 }],
  ])('%s', (zone, expected) => {
    expect(localTime(instant, zone)).toEqual(expected);
    expect(localDate(instant, zone)).toBe(expected.date);
  });

  it.each([
    ['Asia/Jakarta', '2026-03-09T17:00:00.000Z'],
    ['Asia/Makassar', '2026-03-09T16:00:00.000Z'],
    ['Asia/Jayapura', '2026-03-09T15:00:00.000Z'],
  ])('10 March begins in %s at %s', (zone, instantIso) => {
    expect(instantAt('2026-03-10', 0, zone).toISOString()).toBe(instantIso);
    expect(instantAt('2026-03-10', 9 * 60, zone).toISOString()).toBe(
      new Date(Date.parse(instantIso) + 9 * 3_600_000).toISOString(),
    );
  });

  it('keeps the fraction of the minute', () => {
    expect(localTime(at('2026-03-10T02:00:30.500Z'), 'Asia/Jakarta').minutes).toBeCloseTo(
      9 * 60 + 0.5 + 0.5 / 60,
    );
    expect(instantAt('2026-03-10', 90.5, 'Asia/Makassar').toISOString()).toBe('2026-03-09T17:30:30.000Z');
  });
});

describe('a zone with daylight saving (Europe/Amsterdam)', () => {
  const zone = 'Europe/Amsterdam';

  it('reads the clock on either side of the spring change (29 March 2026, 02:00 → 03:00)', () => {
    expect(localTime(at('2026-03-29T00:59:00Z'), zone)).toMatchObject({
      date: '2026-03-29',
      minutes: 60 + 59,
    });
    expect(localTime(at('2026-03-29T01:00:00Z'), zone)).toMatchObject({
      date: '2026-03-29',
      minutes: 3 * 60,
    });
  });

  it('finds midnights an hour apart in UTC across the change', () => {
    expect(instantAt('2026-03-29', 0, zone).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(instantAt('2026-03-30', 0, zone).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(instantAt('2026-10-25', 0, zone).toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(instantAt('2026-10-26', 0, zone).toISOString()).toBe('2026-10-25T23:00:00.000Z');
  });

  it('puts a time the spring change skips after the gap', () => {
    expect(instantAt('2026-03-29', 2 * 60 + 30, zone).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('reaches the next 08:00 across the change: a day that is 23 hours long', () => {
    expect(nextLocalTime(at('2026-03-28T08:00:00Z'), 8 * 60, zone).toISOString()).toBe(
      '2026-03-29T06:00:00.000Z',
    );
    expect(nextLocalTime(at('2026-10-24T07:00:00Z'), 8 * 60, zone).toISOString()).toBe(
      '2026-10-25T07:00:00.000Z',
    );
  });
});

describe('nextLocalTime', () => {
  it('is later the same day, else tomorrow, never the moment itself', () => {
    const zone = 'Asia/Jakarta';
    expect(nextLocalTime(at('2026-03-10T00:00:00Z'), 8 * 60, zone).toISOString()).toBe(
      '2026-03-10T01:00:00.000Z',
    );
    expect(nextLocalTime(at('2026-03-10T01:00:00Z'), 8 * 60, zone).toISOString()).toBe(
      '2026-03-11T01:00:00.000Z',
    );
    expect(nextLocalTime(at('2026-03-10T16:59:59Z'), 0, zone).toISOString()).toBe('2026-03-10T17:00:00.000Z');
  });
});

describe('addDays', () => {
  it.each([
    ['2026-02-28', 1, '2026-03-01'],
    ['2024-02-28', 1, '2024-02-29'],
    ['2026-01-01', -1, '2025-12-31'],
    ['2026-03-28', 2, '2026-03-30'],
    ['2026-10-25', 1, '2026-10-26'],
  ])('%s + %i = %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it('refuses what is not a date', () => {
    expect(() => addDays('10-03-2026', 1)).toThrow(RangeError);
  });
});
