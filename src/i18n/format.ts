import type { Language } from '../../flows/index.js';
import { localTime } from '../local-time.js';

// Names of months and days come from these tables, not from Intl: the ICU data behind Intl's `id` locale
// differs between Node builds (small-icu, system ICU), and a reminder must read the same everywhere.
// Javanese writes dates with the same Latin month names as Indonesian.

const MONTHS_ID = [
  'Januari',
  'Februari',
  'Maret',
  'April',
  'Mei',
  'Juni',
  'Juli',
  'Agustus',
  'September',
  'Oktober',
  'November',
  'Desember',
];
const MONTHS_EN = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
// Sunday first (index: the ISO weekday modulo 7). Javanese uses the Indonesian day names here, which everyone
// in Blitar reads; the Javanese ones (Senen, Rebo, Kemis, …) wait for the native speakers' review.
const DAYS_ID = ['Minggu', 'Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu'];
const DAYS_EN = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const months = (lang: Language): string[] => (lang === 'en' ? MONTHS_EN : MONTHS_ID);

/** Indonesian zones by their everyday names; elsewhere the UTC offset. */
const ZONE_NAMES: Record<string, string> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
};

/** `Rp36.800`: dots between thousands, no decimals, no space, in every language. */
export function formatRupiah(amount: number): string {
  const rounded = Math.round(amount);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${rounded < 0 ? '-' : ''}Rp${digits}`;
}

function dateParts(isoDate: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDate);
  if (!m) throw new Error(`formatDate expects YYYY-MM-DD, got ${JSON.stringify(isoDate)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** `15 November 2026` from `2026-11-15` (the date as written; no time zone involved). */
export function formatDate(isoDate: string, lang: Language): string {
  const [year, month, day] = dateParts(isoDate);
  return `${day} ${months(lang)[month - 1]} ${year}`;
}

/** `November 2026` from a bill period `2026-11`. */
export function formatPeriod(period: string, lang: Language): string {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m) throw new Error(`formatPeriod expects YYYY-MM, got ${JSON.stringify(period)}`);
  return `${months(lang)[Number(m[2]) - 1]} ${m[1]}`;
}

function zoneName(instant: Date, timeZone: string): string {
  const known = ZONE_NAMES[timeZone];
  if (known) return known;
  const offset = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' })
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')?.value;
  return offset ?? timeZone;
}

/**
 * An instant as the participant's clock shows it:
 * `Senin, 30 November 2026 pukul 08.00 WIB`, `Monday 30 November 2026 at 08:00 WIB`.
 */
export function formatDateTime(iso: string, lang: Language, timeZone: string): string {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime()))
    throw new Error(`formatDateTime expects an ISO time, got ${JSON.stringify(iso)}`);
  const local = localTime(instant, timeZone);
  const [year, month, day] = dateParts(local.date);
  const weekday = local.weekday % 7;
  const hh = String(Math.floor(local.minutes / 60)).padStart(2, '0');
  const mm = String(Math.floor(local.minutes % 60)).padStart(2, '0');
  const zone = zoneName(instant, timeZone);
  const date = `${day} ${months(lang)[month - 1]} ${year}`;
  if (lang === 'en') return `${DAYS_EN[weekday]} ${date} at ${hh}:${mm} ${zone}`;
  // Indonesian (and Javanese) write the time with a dot: 08.00
  const at = lang === 'jv' ? 'jam' : 'pukul';
  return `${DAYS_ID[weekday]}, ${date} ${at} ${hh}.${mm} ${zone}`;
}
