import { TZDate } from '@date-fns/tz';
import { addDays as addCalendarDays } from 'date-fns';

// Every conversion between an instant and the clock and calendar of a named IANA zone (BUSINESS_TZ) goes
// through here, on @date-fns/tz, which reads the zone's rules from the runtime's time-zone data: no offset
// is written by hand, so a zone with daylight saving is as right as Indonesia's three fixed ones.

/** A calendar date, `YYYY-MM-DD`. */
export type LocalDate = string;

export interface LocalTime {
  date: LocalDate;
  /** ISO weekday, 1 = Monday … 7 = Sunday */
  weekday: number;
  /** minutes after local midnight, with the fraction of the current minute */
  minutes: number;
}

const MINUTE_MS = 60_000;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
// Written out rather than with date-fns' format: it is on the send path, and format's pattern parsing cost
// more than the zone lookup.
const isoDay = (d: Date): LocalDate =>
  `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)}`;

/** The date, weekday and time of day that `at` shows on a clock in `timeZone`. */
export function localTime(at: Date, timeZone: string): LocalTime {
  const local = new TZDate(at.getTime(), timeZone);
  return {
    date: isoDay(local),
    weekday: ((local.getDay() + 6) % 7) + 1,
    minutes:
      local.getHours() * 60 +
      local.getMinutes() +
      (local.getSeconds() * 1000 + local.getMilliseconds()) / MINUTE_MS,
  };
}

/** The calendar date of `at` in `timeZone`. */
export const localDate = (at: Date, timeZone: string): LocalDate =>
  isoDay(new TZDate(at.getTime(), timeZone));

const partsOf = (date: LocalDate): [number, number, number] => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`expected a date as YYYY-MM-DD, got ${JSON.stringify(date)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
};

/**
 * The instant a clock in `timeZone` reads `minutes` after the midnight that begins `date` (0: the instant the
 * day begins). A time the zone skips (a spring-forward gap) lands after the gap.
 */
export function instantAt(date: LocalDate, minutes: number, timeZone: string): Date {
  const [year, month, day] = partsOf(date);
  const whole = Math.floor(minutes);
  const local = new TZDate(year, month - 1, day, Math.floor(whole / 60), whole % 60, timeZone);
  return new Date(local.getTime() + (minutes - whole) * MINUTE_MS);
}

// Calendar arithmetic is done on a UTC date, which has no gaps, so the machine's own zone cannot shift it.
const calendarDay = (date: LocalDate): TZDate => {
  const [year, month, day] = partsOf(date);
  return new TZDate(year, month - 1, day, 'UTC');
};

/** The date `days` calendar days after `date` (before, when negative). */
export const addDays = (date: LocalDate, days: number): LocalDate =>
  isoDay(addCalendarDays(calendarDay(date), days));

/** ISO weekday (1 = Monday) of a calendar date. */
export const weekdayOf = (date: LocalDate): number => ((calendarDay(date).getDay() + 6) % 7) + 1;

/** The first instant after `at` at which a clock in `timeZone` reads `minutes` after midnight. */
export function nextLocalTime(at: Date, minutes: number, timeZone: string): Date {
  const today = localDate(at, timeZone);
  const candidate = instantAt(today, minutes, timeZone);
  // tomorrow's is always after `at`: it is no earlier than tomorrow's midnight
  return candidate > at ? candidate : instantAt(addDays(today, 1), minutes, timeZone);
}
