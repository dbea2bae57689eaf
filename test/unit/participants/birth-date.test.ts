import { describe, expect, it } from 'vitest';
import { localDate } from '../../../src/local-time.js';
import {
  birthDateMatches,
  hashBirthDate,
  isRealIsoDate,
  parseBirthDate,
} from '../../../src/participants/birth-date.js';

const KEY = 'k'.repeat(32);
const TODAY = '2026-03-10';

describe('parseBirthDate', () => {
  it.each([
    ['17-08-1980', '1980-08-17'],
    ['17081980', '1980-08-17'],
    ['17/08/1980', '1980-08-17'],
    ['1980-08-17', '1980-08-17'],
    [' 17-08-1980 ', '1980-08-17'],
    ['1-2-1980', '1980-02-01'],
    ['01/2/1980', '1980-02-01'],
    ['29-02-1980', '1980-02-29'],
    ['29-02-2000', '2000-02-29'],
    ['01-01-1900', '1900-01-01'],
    ['10-03-2026', '2026-03-10'],
  ])('%s → %s', (input, iso) => {
    expect(parseBirthDate(input, TODAY)).toBe(iso);
  });

  it.each([
    ['31-02-1980', 'a day February does not have'],
    ['29-02-1981', 'not a leap year'],
    ['29-02-1900', '1900 was not a leap year'],
    ['31-04-1980', 'April has 30 days'],
    ['32-01-1980', 'day 32'],
    ['00-01-1980', 'day 0'],
    ['17-13-1980', 'month 13'],
    ['17-00-1980', 'month 0'],
    ['31-12-1899', 'before 1900'],
    ['11-03-2026', 'tomorrow'],
    ['01-01-2999', 'far future'],
    ['17-08-80', 'two-digit year'],
    ['17-08/1980', 'mixed separators'],
    ['17.08.1980', 'dots'],
    ['1708198', 'seven digits'],
    ['1980-8-17', 'ISO with one-digit month'],
    ['', 'empty'],
    ['tujuh belas agustus', 'words'],
  ])('rejects %s (%s)', (input) => {
    expect(parseBirthDate(input, TODAY)).toBeNull();
  });

  it('judges "future" by the calendar of the zone it is given (BUSINESS_TZ)', () => {
    // 17:30 UTC on 9 March is already 10 March in Jakarta.
    const today = (iso: string, zone: string) => localDate(new Date(iso), zone);
    expect(parseBirthDate('10-03-2026', today('2026-03-09T17:30:00Z', 'Asia/Jakarta'))).toBe('2026-03-10');
    expect(parseBirthDate('10-03-2026', today('2026-03-09T16:30:00Z', 'Asia/Jakarta'))).toBeNull();
    // 15:30 UTC is 22:30 on 9 March in Jakarta but 00:30 on 10 March in Jayapura (WIT, UTC+9)
    expect(parseBirthDate('10-03-2026', today('2026-03-09T15:30:00Z', 'Asia/Jayapura'))).toBe('2026-03-10');
    expect(parseBirthDate('10-03-2026', today('2026-03-09T15:30:00Z', 'Asia/Jakarta'))).toBeNull();
  });
});

describe('isRealIsoDate', () => {
  it('accepts only existing dates in canonical form', () => {
    expect(isRealIsoDate('2026-02-28')).toBe(true);
    expect(isRealIsoDate('2026-02-29')).toBe(false);
    expect(isRealIsoDate('2026-2-28')).toBe(false);
    expect(isRealIsoDate('28-02-2026')).toBe(false);
  });
});

describe('hashBirthDate', () => {
  it('is a hex HMAC-SHA256 that depends on the date and the key', () => {
    const hash = hashBirthDate('1980-08-17', KEY);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashBirthDate('1980-08-17', KEY)).toBe(hash);
    expect(hashBirthDate('1980-08-18', KEY)).not.toBe(hash);
    expect(hashBirthDate('1980-08-17', 'x'.repeat(32))).not.toBe(hash);
    expect(hash).not.toContain('1980');
  });

  it('refuses a date that is not canonical ISO, so one date cannot hash two ways', () => {
    expect(() => hashBirthDate('17-08-1980', KEY)).toThrow();
    expect(() => hashBirthDate('1980-02-30', KEY)).toThrow();
  });
});

describe('birthDateMatches', () => {
  const hash = hashBirthDate('1980-08-17', KEY);

  it('matches every accepted way of typing the date', () => {
    for (const typed of ['17-08-1980', '17081980', '17/08/1980', '1980-08-17', '17-8-1980']) {
      expect(birthDateMatches(typed, hash, KEY)).toBe(true);
    }
  });

  it('does not match another date, another key, garbage, or a malformed hash', () => {
    expect(birthDateMatches('18-08-1980', hash, KEY)).toBe(false);
    expect(birthDateMatches('17-08-1980', hash, 'y'.repeat(32))).toBe(false);
    expect(birthDateMatches('halo', hash, KEY)).toBe(false);
    expect(birthDateMatches('17-08-1980', hash.slice(0, 10), KEY)).toBe(false);
    expect(birthDateMatches('17-08-1980', '', KEY)).toBe(false);
  });
});
