import type { OfficeHours } from '../config.js';
import { addDays, instantAt, localTime, weekdayOf } from '../local-time.js';

export function isOfficeOpen(at: Date, hours: OfficeHours, timeZone: string): boolean {
  const local = localTime(at, timeZone);
  return hours.days.includes(local.weekday) && local.minutes >= hours.start && local.minutes < hours.end;
}

/**
 * The next moment officers are on duty after `at` (or `at` itself when open): the opening of the first
 * office day from today on whose opening is still ahead, found on the zone's calendar so that a day made
 * shorter or longer by an offset change still opens at its local opening time.
 */
export function nextOfficeOpening(at: Date, hours: OfficeHours, timeZone: string): Date {
  if (isOfficeOpen(at, hours, timeZone)) return at;
  const today = localTime(at, timeZone).date;
  for (let day = 0; day <= 7; day++) {
    const date = addDays(today, day);
    if (!hours.days.includes(weekdayOf(date))) continue;
    const opening = instantAt(date, hours.start, timeZone);
    if (opening > at) return opening;
  }
  return at;
}
