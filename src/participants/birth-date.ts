import { createHmac, timingSafeEqual } from 'node:crypto';

// Birth dates are a shared secret between the participant and the branch: only their keyed hash is kept,
// so neither a database dump nor a log line reveals one, and without DATA_KEY the hashes cannot be
// brute-forced over the ~45,000 plausible dates.

const DMY = /^(\d{1,2})([-/])(\d{1,2})\2(\d{4})$/;
const DMY_COMPACT = /^(\d{2})(\d{2})(\d{4})$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const MIN_YEAR = 1900;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `YYYY-MM-DD` if the parts make a date that exists on the calendar, else null. */
export function isoDateOf(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12 || day < 1) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day > daysInMonth) return null;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** True for an ISO calendar date (`YYYY-MM-DD`) that exists. */
export function isRealIsoDate(input: string): boolean {
  const m = ISO.exec(input);
  return m !== null && isoDateOf(Number(m[1]), Number(m[2]), Number(m[3])) === input;
}

/** [year, month, day] of the first accepted form that matches. */
function partsOf(s: string): [number, number, number] | null {
  let m = DMY.exec(s);
  if (m) return [Number(m[4]), Number(m[3]), Number(m[1])];
  m = DMY_COMPACT.exec(s);
  if (m) return [Number(m[3]), Number(m[2]), Number(m[1])];
  m = ISO.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  return null;
}

/** A date in an accepted form, on the calendar and not before 1900, as ISO `YYYY-MM-DD`; else null. */
function readDate(input: string): string | null {
  const parts = partsOf(input.trim());
  if (!parts) return null;
  const [year, month, day] = parts;
  if (year < MIN_YEAR) return null;
  return isoDateOf(year, month, day);
}

/**
 * Reads a birth date as participants type it (`DD-MM-YYYY`, `DDMMYYYY`, `DD/MM/YYYY`, one-digit day or
 * month allowed with separators) or as imports carry it (`YYYY-MM-DD`). Returns ISO `YYYY-MM-DD`, or null
 * for anything that is not a real date between 1900 and `today`: the date where the participant lives
 * (`localDate(now, BUSINESS_TZ)`), so "in the future" follows the calendar they live by.
 */
export function parseBirthDate(input: string, today: string): string | null {
  const date = readDate(input);
  return date && date <= today ? date : null;
}

export function hashBirthDate(isoDate: string, dataKey: string): string {
  // Refusing anything but the canonical form keeps one date from hashing two ways.
  if (!isRealIsoDate(isoDate)) throw new Error('hashBirthDate expects an ISO date YYYY-MM-DD');
  return createHmac('sha256', dataKey).update(isoDate).digest('hex');
}

/**
 * Whether a typed birth date matches a stored hash; compares in constant time. A date after today cannot
 * match (no stored birth date is one), so no clock is needed here.
 */
export function birthDateMatches(input: string, hash: string, dataKey: string): boolean {
  const date = readDate(input);
  if (!date) return false;
  const expected = Buffer.from(hash, 'hex');
  const actual = Buffer.from(hashBirthDate(date, dataKey), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
