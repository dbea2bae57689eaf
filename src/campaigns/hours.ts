import type { TimeWindow } from '../config.js';

// When campaign messages may go: not inside quiet hours (POJK 22/2023 art. 62 allows collection contact
// 08:00–20:00 local time), not on a configured national holiday, not in a configured Friday-prayer pause.
// Each rule holds a message until its window ends; none drops one.

export interface SendingHours {
  timeZone: string;
  quietHours: TimeWindow | null;
  /** YYYY-MM-DD dates in timeZone */
  holidays: ReadonlySet<string>;
  /** on Fridays only */
  fridayPause: TimeWindow | null;
}

const DAY_MINUTES = 24 * 60;

interface LocalTime {
  date: string;
  /** ISO weekday, 1 = Monday */
  weekday: number;
  /** minutes after local midnight, with the fraction of the current minute */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

export function localTime(at: Date, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const weekday = ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
  const minutes =
    Number(parts.hour) * 60 +
    Number(parts.minute) +
    (Number(parts.second) + at.getMilliseconds() / 1000) / 60;
  return { date, weekday, minutes };
}

/** YYYY-MM-DD in the business's time zone. */
export const localDate = (at: Date, timeZone: string): string => localTime(at, timeZone).date;

const inside = (w: TimeWindow, m: number): boolean =>
  w.start <= w.end ? m >= w.start && m < w.end : m >= w.start || m < w.end;

/** Minutes from `m` forward to the minute `end` (0 < result ≤ a day). */
const until = (m: number, end: number): number => {
  const d = (end - m + DAY_MINUTES) % DAY_MINUTES;
  return d === 0 ? DAY_MINUTES : d;
};

/**
 * How long a campaign message must wait from `at`, or 0 when it may go now. The wait ends where the first
 * rule holding it ends; the caller asks again then, so that windows that follow each other all hold.
 */
export function holdFor(at: Date, hours: SendingHours): { ms: number; reason: string } | null {
  const t = localTime(at, hours.timeZone);
  const ms = (minutes: number) => Math.max(1000, Math.ceil(minutes * 60_000));
  if (hours.holidays.has(t.date)) return { ms: ms(until(t.minutes, 0)), reason: 'national holiday' };
  if (hours.quietHours && inside(hours.quietHours, t.minutes)) {
    return { ms: ms(until(t.minutes, hours.quietHours.end)), reason: 'quiet hours' };
  }
  if (hours.fridayPause && t.weekday === 5 && inside(hours.fridayPause, t.minutes)) {
    return { ms: ms(until(t.minutes, hours.fridayPause.end)), reason: 'Friday prayer' };
  }
  return null;
}
