import type { OfficeHours } from '../config.js';

interface LocalTime {
  /** ISO weekday, 1 = Monday */
  weekday: number;
  /** minutes after local midnight */
  minutes: number;
}

const WEEKDAY = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 } as const;

function localTime(at: Date, timeZone: string): LocalTime {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    weekday: WEEKDAY[get('weekday') as keyof typeof WEEKDAY],
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

export function isOfficeOpen(at: Date, hours: OfficeHours, timeZone: string): boolean {
  const local = localTime(at, timeZone);
  return hours.days.includes(local.weekday) && local.minutes >= hours.start && local.minutes < hours.end;
}

/**
 * The next moment officers are on duty after `at` (or `at` itself when open). Walks forward in whole
 * minutes from the next opening candidate of each day, which stays right across time-zone offset changes.
 */
export function nextOfficeOpening(at: Date, hours: OfficeHours, timeZone: string): Date {
  if (isOfficeOpen(at, hours, timeZone)) return at;
  const local = localTime(at, timeZone);
  const startOfMinute = Math.floor(at.getTime() / 60_000) * 60_000;
  for (let day = 0; day <= 7; day++) {
    const weekday = ((local.weekday - 1 + day) % 7) + 1;
    if (!hours.days.includes(weekday)) continue;
    const minutesAhead = day * 24 * 60 + hours.start - local.minutes;
    if (minutesAhead <= 0) continue;
    return new Date(startOfMinute + minutesAhead * 60_000);
  }
  return at;
}
