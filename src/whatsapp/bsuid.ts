/**
 * Business-scoped user ids (Meta's key for a user with a username, who may show no phone number): `CC.` +
 * up to 128 alphanumerics, `CC.ENT.` for a parent id.
 * A BSUID is never a phone number: stripping its non-digits would fabricate one.
 */
const BSUID_PATTERN = /^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$/;

/**
 * Whether `s` is exactly a BSUID, as the Cloud API writes one: no whitespace around it. Text a person typed
 * or an import carried is trimmed by its reader first (normalisePhone does).
 */
export function isBsuid(s: string): boolean {
  return typeof s === 'string' && BSUID_PATTERN.test(s);
}
