import { describe, expect, it } from 'vitest';
import { holdFor, type SendingHours } from '../../../src/campaigns/hours.js';
import { estimate } from '../../../src/campaigns/stats.js';
import { billedCategory } from '../../../src/campaigns/usecases/decide.js';
import { localTime } from '../../../src/local-time.js';

const hours: SendingHours = {
  timeZone: 'Asia/Jakarta',
  quietHours: { start: 20 * 60, end: 8 * 60 },
  holidays: new Set(['2026-12-25']),
  fridayPause: { start: 11 * 60 + 30, end: 13 * 60 },
};
// WIB is UTC+7 all year
const wib = (local: string) => new Date(`${local}+07:00`);

describe('sending hours', () => {
  it('reads the local date, weekday and minute', () => {
    expect(localTime(wib('2026-11-13T07:59:30'), 'Asia/Jakarta')).toMatchObject({
      date: '2026-11-13',
      weekday: 5,
    });
  });

  it('holds a message inside quiet hours until they end, across midnight', () => {
    expect(holdFor(wib('2026-11-10T21:00:00'), hours)).toEqual({ ms: 11 * 3600_000, reason: 'quiet hours' });
    expect(holdFor(wib('2026-11-10T07:59:58'), hours)).toEqual({ ms: 2000, reason: 'quiet hours' });
    expect(holdFor(wib('2026-11-10T08:00:00'), hours)).toBeNull();
    expect(holdFor(wib('2026-11-10T19:59:59'), hours)).toBeNull();
  });

  it('holds on a configured holiday until the next day, and in the Friday pause', () => {
    expect(holdFor(wib('2026-12-25T10:00:00'), hours)).toEqual({
      ms: 14 * 3600_000,
      reason: 'national holiday',
    });
    // 2026-11-13 is a Friday, 2026-11-12 a Thursday
    expect(holdFor(wib('2026-11-13T12:00:00'), hours)).toEqual({ ms: 3600_000, reason: 'Friday prayer' });
    expect(holdFor(wib('2026-11-12T12:00:00'), hours)).toBeNull();
  });

  it('holds nothing when no rule is configured', () => {
    const none: SendingHours = {
      timeZone: 'Asia/Jakarta',
      quietHours: null,
      holidays: new Set(),
      fridayPause: null,
    };
    expect(holdFor(wib('2026-11-10T23:00:00'), none)).toBeNull();
  });
});

describe('estimates and categories', () => {
  it('estimates duration at the cap and cost of the sendable share', () => {
    expect(estimate(1000, 10, 80, 410)).toEqual({
      audienceSize: 1000,
      expectedDurationSeconds: 12,
      expectedCostIdr: 900 * 410,
    });
  });

  it('maps the pricing categories a status may carry to template categories', () => {
    expect(billedCategory('utility')).toBe('utility');
    expect(billedCategory('marketing_lite')).toBe('marketing');
    expect(billedCategory('authentication-international')).toBe('authentication');
    expect(billedCategory('service')).toBeNull();
    expect(billedCategory(null)).toBeNull();
  });
});
