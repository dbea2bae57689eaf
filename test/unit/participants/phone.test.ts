import { describe, expect, it } from 'vitest';
import { normalisePhone } from '../../../src/participants/phone.js';
import { isBsuid } from '../../../src/whatsapp/index.js';

describe('normalisePhone', () => {
  it.each([
    ['0812-3456-7890', '6281234567890'],
    ['081234567890', '6281234567890'],
    ['+62 812 3456 7890', '6281234567890'],
    ['+62-812-3456-7890', '6281234567890'],
    ['6281234567890', '6281234567890'],
    ['62 812 3456 7890', '6281234567890'],
    ['0062 812 3456 7890', '6281234567890'],
    ['00628123456789 0', '6281234567890'],
    ['62 0812 3456 7890', '6281234567890'],
    ['+62 (0) 812-3456-7890', '6281234567890'],
    ['812 3456 7890', '6281234567890'],
    ['(0812) 3456.7890', '6281234567890'],
    ['0812.3456.7890', '6281234567890'],
    ['  0812 3456 7890  ', '6281234567890'],
    ['0812\u00a03456\u00a07890', '6281234567890'],
    ['0812345678', '62812345678'],
    ['0812345678901', '62812345678901'],
    ['0817-1234-5678', '6281712345678'],
    ['0881 2345 6789', '6288123456789'],
    ['0857-1234-5678', '6285712345678'],
  ])('%s → %s', (input, waId) => {
    expect(normalisePhone(input)).toEqual({ ok: true, waId });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['0812-3456-789O', 'contains characters that are not digits'],
    ['nomor saya 0812', 'contains characters that are not digits'],
    ['+62 812 3456 7890 ext 1', 'contains characters that are not digits'],
    ['021-555-1234', 'not an Indonesian mobile number'],
    ['+62 21 555 1234', 'not an Indonesian mobile number'],
    ['+1 415 555 2671', 'not an Indonesian mobile number'],
    ['+6 812 3456 7890', 'not an Indonesian mobile number'],
    ['0804 1234 5678', 'not an Indonesian mobile number'],
    ['0841 2345 6789', 'not an Indonesian mobile number'],
    ['08123', 'not an Indonesian mobile number'],
    ['0812345678901234', 'not an Indonesian mobile number'],
    ['0812 3456 7890 / 0813 1111 2222', 'not an Indonesian mobile number'],
    ['62 62 812 3456 7890', 'not an Indonesian mobile number'],
    ['12345678901', 'not an Indonesian mobile number'],
  ])('rejects %j (%s)', (input, reason) => {
    expect(normalisePhone(input)).toEqual({ ok: false, reason });
  });

  it.each(['US.13491208655302741918', 'ID.6281234567890', 'ID.ENT.6281234567890', 'ID.ENT.abcDEF123'])(
    'refuses the BSUID %s without reading digits out of it',
    (bsuid) => {
      expect(isBsuid(bsuid)).toBe(true);
      expect(normalisePhone(bsuid)).toEqual({ ok: false, reason: 'a WhatsApp user id, not a phone number' });
      // one pattern, exact: the reader of typed text trims, isBsuid does not
      expect(isBsuid(` ${bsuid} `)).toBe(false);
      expect(normalisePhone(` ${bsuid} `)).toEqual({
        ok: false,
        reason: 'a WhatsApp user id, not a phone number',
      });
    },
  );

  it('does not take a wa_id for a BSUID', () => {
    expect(isBsuid('6281234567890')).toBe(false);
  });
});
