import { describe, expect, it } from 'vitest';
import { isBsuid, maskPhone } from '../../../src/whatsapp/index.js';

describe('isBsuid', () => {
  it.each([
    'US.13491208655302741918',
    'US.ENT.11815799212886844830',
    'ID.abcXYZ123',
    `ID.${'a'.repeat(128)}`,
  ])('accepts %s', (s) => expect(isBsuid(s)).toBe(true));

  it.each([
    '6281234567890',
    '+6281234567890',
    'id.123',
    'IDN.123',
    'ID.',
    'ID.ENT.',
    'ID.12-34',
    'ID.12 34',
    ` ID.123`,
    `ID.${'a'.repeat(129)}`,
    '',
  ])('rejects %j', (s) => expect(isBsuid(s)).toBe(false));
});

describe('maskPhone', () => {
  it('keeps the first 5 and the last 4 characters with exactly 4 stars between', () => {
    expect(maskPhone('6281234567801')).toBe('62812****7801');
    expect(maskPhone('628123456789012')).toBe('62812****9012');
    expect(maskPhone('6281234567')).toBe('62812****4567');
  });

  it('hides short strings completely', () => {
    expect(maskPhone('628123456')).toBe('****');
    expect(maskPhone('')).toBe('****');
  });

  it('keeps only the country prefix and the last 4 of a BSUID', () => {
    expect(maskPhone('ID.13491208655302741918')).toBe('ID.****1918');
    expect(maskPhone('US.ENT.11815799212886844830')).toBe('US.****4830');
    expect(maskPhone('ID.12345')).toBe('ID.****');
  });
});
