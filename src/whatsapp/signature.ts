import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';
const HEX_DIGEST = /^[0-9a-f]{64}$/i;

/** The full `X-Hub-Signature-256` header value Meta would send for these exact bytes. */
export function signBody(raw: Buffer | string, appSecret: string): string {
  return PREFIX + createHmac('sha256', appSecret).update(raw).digest('hex');
}

/**
 * Checks Meta's `X-Hub-Signature-256` over the raw request bytes (`sha256=` + the hex HMAC-SHA256 keyed
 * with the app secret). The HMAC must be computed over the bytes as received: Meta escapes non-ASCII as
 * `\uXXXX`, so re-serialised JSON differs.
 */
export function verifySignature(raw: Buffer, header: string | undefined, appSecret: string): boolean {
  // An empty secret is a key anyone can sign with: treat it as "cannot verify", never as valid.
  if (!appSecret || !Buffer.isBuffer(raw) || typeof header !== 'string' || !header.startsWith(PREFIX)) {
    return false;
  }
  const hex = header.slice(PREFIX.length);
  // Buffer.from(hex) silently drops everything after the first non-hex character, so check the shape first.
  if (!HEX_DIGEST.test(hex)) return false;
  const got = Buffer.from(hex, 'hex');
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  return got.length === expected.length && timingSafeEqual(got, expected);
}
