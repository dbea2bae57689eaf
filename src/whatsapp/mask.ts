import { isBsuid } from './bsuid.js';

const STARS = '****';

/**
 * Masks a recipient for logs: `6281234567801` → `62812****7801`, `ID.1234567890` → `ID.****7890`.
 * A fixed number of stars hides the length too.
 */
export function maskPhone(s: string): string {
  if (typeof s !== 'string') return STARS;
  if (isBsuid(s)) {
    const id = s.slice(s.lastIndexOf('.') + 1);
    // Showing the last 4 of a very short id would show most of it.
    return id.length >= 8 ? `${s.slice(0, 3)}${STARS}${id.slice(-4)}` : `${s.slice(0, 3)}${STARS}`;
  }
  if (s.length < 10) return STARS;
  return `${s.slice(0, 5)}${STARS}${s.slice(-4)}`;
}
