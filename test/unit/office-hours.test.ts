import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isOfficeOpen, nextOfficeOpening } from '../../src/conversations/office-hours.js';

const hours = loadConfig({}).officeHours; // Mon-Fri 08:00-16:00
const tz = 'Asia/Jakarta'; // UTC+7, no daylight saving
const wib = (iso: string) => new Date(`${iso}+07:00`);

describe('office hours in the business time zone', () => {
  it.each([
    ['2026-11-23T08:00:00', true], // Monday opening
    ['2026-11-23T15:59:00', true],
    ['2026-11-23T16:00:00', false],
    ['2026-11-23T07:59:00', false],
    ['2026-11-28T10:00:00', false], // Saturday
  ])('%s WIB open: %s', (at, open) => {
    expect(isOfficeOpen(wib(at), hours, tz)).toBe(open);
  });

  it.each([
    ['2026-11-23T06:30:00', '2026-11-23T08:00:00'], // before opening, same day
    ['2026-11-23T17:10:00', '2026-11-24T08:00:00'], // after closing
    ['2026-11-27T16:00:00', '2026-11-30T08:00:00'], // Friday evening → Monday
    ['2026-11-29T23:59:00', '2026-11-30T08:00:00'], // Sunday night
  ])('from %s WIB the next opening is %s WIB', (at, next) => {
    expect(nextOfficeOpening(wib(at), hours, tz).toISOString()).toBe(wib(next).toISOString());
  });

  it('answers the moment itself when open', () => {
    const at = wib('2026-11-24T09:15:00');
    expect(nextOfficeOpening(at, hours, tz)).toBe(at);
  });

  it('opens at the local opening time across a daylight-saving change', () => {
    // Friday 27 March 2026, 17:00 in Amsterdam (UTC+1); clocks go to UTC+2 on Sunday 29 March
    const at = new Date('2026-03-27T16:00:00Z');
    expect(nextOfficeOpening(at, hours, 'Europe/Amsterdam').toISOString()).toBe('2026-03-30T06:00:00.000Z');
  });
});
