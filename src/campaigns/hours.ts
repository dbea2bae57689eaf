import type { TimeWindow } from '../config.js';
import { localTime, nextLocalTime } from '../local-time.js';

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

const inside = (w: TimeWindow, m: number): boolean =>
  w.start <= w.end ? m >= w.start && m < w.end : m >= w.start || m < w.end;

/**
 * How long a campaign message must wait from `at`, or 0 when it may go now. The wait ends where the first
 * rule holding it ends; the caller asks again then, so that windows that follow each other all hold.
 */
export function holdFor(at: Date, hours: SendingHours): { ms: number; reason: string } | null {
  const t = localTime(at, hours.timeZone);
  /** from `at` to the next time the local clock reads `minutes` */
  const until = (minutes: number) =>
    Math.max(1000, Math.ceil(nextLocalTime(at, minutes, hours.timeZone).getTime() - at.getTime()));
  if (hours.holidays.has(t.date)) return { ms: until(0), reason: 'national holiday' };
  if (hours.quietHours && inside(hours.quietHours, t.minutes)) {
    return { ms: until(hours.quietHours.end), reason: 'quiet hours' };
  }
  if (hours.fridayPause && t.weekday === 5 && inside(hours.fridayPause, t.minutes)) {
    return { ms: until(hours.fridayPause.end), reason: 'Friday prayer' };
  }
  return null;
}
