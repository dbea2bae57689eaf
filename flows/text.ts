// Participants type on small phones in three languages: letter case, punctuation, emoji and extra spaces
// carry no meaning for us, so every match works on the lowercase words of a message.

/** The message's words: lowercase letters and digits, split on everything else. */
export function words(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/** The whole message as its words joined by one space: `" Stop!! "` → `"stop"`. */
export function bare(text: string): string {
  return words(text).join(' ');
}

/** An 11-digit KPJ number, typed with or without spaces, dots or dashes; else null. */
export function kpjOf(text: string): string | null {
  const digits = text.trim().replace(/[\s.-]/g, '');
  return /^\d{11}$/.test(digits) ? digits : null;
}

const YES = new Set([
  'ya',
  'iya',
  'yes',
  'y',
  'ok',
  'oke',
  'okay',
  'inggih',
  'nggih',
  'injih',
  'mau',
  'boleh',
]);
const NO = new Set([
  'tidak',
  'tdk',
  'ga',
  'gak',
  'nggak',
  'enggak',
  'no',
  'not',
  'mboten',
  'ora',
  'jangan',
  'belum',
]);

/** A typed "yes" to a yes/no button offer (older participants often type instead of tapping). */
export function isYes(text: string): boolean {
  const w = words(text);
  return w.length > 0 && w.length <= 3 && w.some((x) => YES.has(x)) && !w.some((x) => NO.has(x));
}
