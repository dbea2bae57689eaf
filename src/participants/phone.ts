import { parsePhoneNumberFromString } from 'libphonenumber-js/mobile';
import { isBsuid } from '../whatsapp/index.js';

export type PhoneResult = { ok: true; waId: string } | { ok: false; reason: string };

// libphonenumber's NSN pattern for Indonesian mobiles (8, then 1–3 or 5–9), with the country code in front.
// Checked in addition to libphonenumber so that a metadata update cannot silently widen what we send to.
const ID_MOBILE_WA_ID = /^628[1-35-9]\d{7,10}$/;

// Written separators people use: spaces (incl. no-break), dots, dashes, slashes and parentheses.
const SEPARATORS = /[\s.\-/()\u00a0\u2010-\u2015]/g;

const NOT_MOBILE = 'not an Indonesian mobile number';

/**
 * Turns an Indonesian mobile number in any usual written form into the wa_id form `628…`.
 * BSUIDs are refused before any digit is looked at: stripping them to digits would address a stranger.
 */
export function normalisePhone(input: string): PhoneResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'empty' };
  if (isBsuid(trimmed)) return { ok: false, reason: 'a WhatsApp user id, not a phone number' };

  const compact = trimmed.replace(SEPARATORS, '');
  if (!/^\+?\d+$/.test(compact)) return { ok: false, reason: 'contains characters that are not digits' };

  let digits: string;
  if (compact.startsWith('+')) {
    if (!compact.startsWith('+62')) return { ok: false, reason: NOT_MOBILE };
    digits = compact.slice(1);
  } else if (compact.startsWith('0062')) {
    digits = compact.slice(2);
  } else if (compact.startsWith('62')) {
    digits = compact;
  } else if (compact.startsWith('0')) {
    digits = `62${compact.slice(1)}`;
  } else if (compact.startsWith('8')) {
    digits = `62${compact}`;
  } else {
    return { ok: false, reason: NOT_MOBILE };
  }
  // "+62 (0)812…" and "62 0812…": a trunk zero kept after the country code.
  if (digits.startsWith('620')) digits = `62${digits.slice(3)}`;

  if (!ID_MOBILE_WA_ID.test(digits)) return { ok: false, reason: NOT_MOBILE };
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  // The mobile-only metadata makes isValid() true only for numbers of a mobile range.
  if (parsed?.country !== 'ID' || !parsed.isValid()) return { ok: false, reason: NOT_MOBILE };
  return { ok: true, waId: `${parsed.countryCallingCode}${parsed.nationalNumber}` };
}
