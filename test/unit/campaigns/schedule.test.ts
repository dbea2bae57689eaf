import { describe, expect, it } from 'vitest';
import { cronPattern, pointPassed, standingSchedule } from '../../../src/campaigns/schedule.js';
import { estimate } from '../../../src/campaigns/stats.js';
import { loadConfig } from '../../../src/config.js';

describe('standing schedule helpers', () => {
  it('makes a daily cron pattern from HH:MM', () => {
    expect(cronPattern('09:00')).toBe('0 9 * * *');
    expect(cronPattern('17:45')).toBe('45 17 * * *');
    expect(cronPattern('00:05')).toBe('5 0 * * *');
  });

  it("knows when today's point has come, in the business time zone", () => {
    const tz = 'Asia/Jakarta';
    expect(pointPassed(new Date('2026-11-12T08:59:59+07:00'), '09:00', tz)).toBe(false);
    expect(pointPassed(new Date('2026-11-12T09:00:00+07:00'), '09:00', tz)).toBe(true);
    // 02:00 UTC is 09:00 in Jakarta
    expect(pointPassed(new Date('2026-11-12T02:00:00Z'), '09:00', tz)).toBe(true);
    expect(pointPassed(new Date('2026-11-12T01:59:00Z'), '09:00', tz)).toBe(false);
  });

  it('tells a standing schedule from a one-off', () => {
    expect(standingSchedule({ schedule: { dueDateOffsetDays: -3, time: '09:00' } })).toEqual({
      dueDateOffsetDays: -3,
      time: '09:00',
    });
    expect(standingSchedule({ schedule: { sendAt: '2026-11-12T09:00:00+07:00' } })).toBeNull();
    expect(standingSchedule({ schedule: null })).toBeNull();
  });
});

describe('messaging-limit tier', () => {
  const base = { DATA_DIR: './.data' };
  it('reads WHATSAPP_TIER: unlimited by default, a tier or a number, anything else refused', () => {
    expect(loadConfig(base).whatsapp.messagingLimit).toBeNull();
    expect(loadConfig({ ...base, WHATSAPP_TIER: 'unlimited' }).whatsapp.messagingLimit).toBeNull();
    expect(loadConfig({ ...base, WHATSAPP_TIER: '2000' }).whatsapp.messagingLimit).toBe(2000);
    expect(loadConfig({ ...base, WHATSAPP_TIER: '750' }).whatsapp.messagingLimit).toBe(750);
    expect(() => loadConfig({ ...base, WHATSAPP_TIER: '2k' })).toThrow(
      /^Invalid configuration: WHATSAPP_TIER /,
    );
    expect(() => loadConfig({ ...base, WHATSAPP_TIER: '0' })).toThrow(/WHATSAPP_TIER/);
  });

  it("spreads a dry run's duration over a day per full budget", () => {
    expect(estimate(1000, 0, 80, 410).expectedDurationSeconds).toBe(13);
    expect(estimate(1000, 0, 80, 410, 2000).expectedDurationSeconds).toBe(13);
    // 5,000 at 2,000 a day: two full days, then 1,000 at 80 per second
    expect(estimate(5000, 0, 80, 410, 2000).expectedDurationSeconds).toBe(2 * 86_400 + 13);
    expect(estimate(4000, 0, 80, 410, 2000).expectedDurationSeconds).toBe(86_400 + 25);
  });
});
