import { describe, expect, it } from 'vitest';
import {
  billRowSchema,
  checkRow,
  participantRowSchema as participantRowSchemaOn,
  paymentRowSchema,
} from '../../../src/participants/rows.js';

const participantRowSchema = participantRowSchemaOn('2026-03-10');

const participant = {
  kpj: '12345678901',
  name: 'Siti Rahayu',
  phone: '0812-3456-7890',
  birthDate: '17-08-1980',
  category: 'BPU',
};

describe('participant rows', () => {
  it('reads a JSON row, numbers included, into normalised values', () => {
    expect(
      checkRow(participantRowSchema, { ...participant, kpj: 12345678901, name: '  Siti  ', language: 'JV' }),
    ).toEqual({
      ok: true,
      value: {
        kpj: '12345678901',
        name: 'Siti',
        phone: '6281234567890',
        birthDate: '1980-08-17',
        category: 'BPU',
        language: 'jv',
      },
    });
  });

  it('reads CSV cells: lower-case category, empty language as absent, extra columns ignored', () => {
    const check = checkRow(participantRowSchema, { ...participant, category: 'pu', language: '', nik: 'x' });
    expect(check).toEqual({ ok: true, value: expect.objectContaining({ category: 'PU' }) });
    expect(check.ok && 'language' in check.value && check.value.language).toBeFalsy();
    expect(check.ok && 'nik' in check.value).toBe(false);
  });

  it('names every missing field', () => {
    expect(checkRow(participantRowSchema, {})).toEqual({
      ok: false,
      errors: [
        'kpj: required',
        'name: required',
        'phone: required',
        'birthDate: required',
        'category: required',
      ],
    });
    expect(checkRow(participantRowSchema, { ...participant, name: '   ' })).toEqual({
      ok: false,
      kpj: '12345678901',
      errors: ['name: required'],
    });
  });

  it('gives one short sentence per wrong field, without echoing the value', () => {
    const check = checkRow(participantRowSchema, {
      kpj: '1234',
      name: 'Siti\nRahayu',
      phone: '021-555-1234',
      birthDate: '31-02-1980',
      category: 'BPJS',
      language: 'fr',
    });
    expect(check).toEqual({
      ok: false,
      errors: [
        'kpj: must be 11 digits',
        'name: must not contain line breaks, tabs or control characters',
        'phone: not an Indonesian mobile number',
        'birthDate: not a real past date (DD-MM-YYYY or YYYY-MM-DD)',
        'category: must be BPU or PU',
        'language: must be id, en or jv',
      ],
    });
    expect(JSON.stringify(check)).not.toContain('555');
  });

  it('limits names to 200 characters, counting letters not UTF-16 units', () => {
    expect(checkRow(participantRowSchema, { ...participant, name: 'a'.repeat(200) }).ok).toBe(true);
    expect(checkRow(participantRowSchema, { ...participant, name: '😀'.repeat(200) }).ok).toBe(true);
    expect(checkRow(participantRowSchema, { ...participant, name: 'a'.repeat(201) })).toEqual({
      ok: false,
      kpj: '12345678901',
      errors: ['name: must be at most 200 characters'],
    });
  });

  it('refuses a BSUID in the phone field', () => {
    expect(checkRow(participantRowSchema, { ...participant, phone: 'ID.ENT.abc123' })).toEqual({
      ok: false,
      kpj: '12345678901',
      errors: ['phone: a WhatsApp user id, not a phone number'],
    });
  });

  it('rejects a row that is not an object', () => {
    for (const raw of [5, 'x', null, [participant]]) {
      expect(checkRow(participantRowSchema, raw)).toEqual({
        ok: false,
        errors: ['row: must be an object of named fields'],
      });
    }
  });

  it('refuses types that are neither text nor number', () => {
    expect(checkRow(participantRowSchema, { ...participant, name: { first: 'Siti' } })).toEqual({
      ok: false,
      kpj: '12345678901',
      errors: ['name: must be text or a number'],
    });
  });
});

describe('bill rows', () => {
  const bill = {
    kpj: '12345678901',
    period: '2026-11',
    amount: 36800,
    dueDate: '2026-11-15',
    paymentCode: 'K123',
  };

  it('accepts digits from CSV as the amount', () => {
    expect(checkRow(billRowSchema, { ...bill, amount: '36800' })).toEqual({ ok: true, value: bill });
  });

  it.each([
    [{ amount: 0 }, 'amount: must be a positive whole number of rupiah'],
    [{ amount: -5 }, 'amount: must be a positive whole number of rupiah'],
    [{ amount: 36800.5 }, 'amount: must be a positive whole number of rupiah'],
    [{ amount: '36.800' }, 'amount: must be a positive whole number of rupiah'],
    [{ amount: 'Rp36800' }, 'amount: must be a positive whole number of rupiah'],
    [{ amount: '' }, 'amount: required'],
    [{ amount: 2 ** 60 }, 'amount: must be a positive whole number of rupiah'],
    [{ period: '2026-13' }, 'period: must be a month as YYYY-MM'],
    [{ period: '11-2026' }, 'period: must be a month as YYYY-MM'],
    [{ dueDate: '2026-02-30' }, 'dueDate: must be a date as YYYY-MM-DD'],
    [{ dueDate: '15-11-2026' }, 'dueDate: must be a date as YYYY-MM-DD'],
    [{ paymentCode: '' }, 'paymentCode: required'],
  ])('%j → %s', (change, error) => {
    expect(checkRow(billRowSchema, { ...bill, ...change })).toEqual({
      ok: false,
      kpj: '12345678901',
      errors: [error],
    });
  });
});

describe('payment rows', () => {
  const payment = {
    reference: 'BRI-0001',
    kpj: '12345678901',
    period: '2026-11',
    amount: 36800,
    paidAt: '2026-11-10T09:30:00+07:00',
    channel: 'BRI',
  };

  it('reads the time with its offset', () => {
    const check = checkRow(paymentRowSchema, payment);
    expect(check.ok && check.value.paidAt.toISOString()).toBe('2026-11-10T02:30:00.000Z');
    expect(checkRow(paymentRowSchema, { ...payment, paidAt: '2026-11-10T02:30:00Z' }).ok).toBe(true);
  });

  it('refuses a time without offset, which would be read in an unknown zone', () => {
    expect(checkRow(paymentRowSchema, { ...payment, paidAt: '2026-11-10T09:30:00' })).toEqual({
      ok: false,
      kpj: '12345678901',
      errors: ['paidAt: must be an ISO 8601 time with offset, e.g. 2026-11-10T09:30:00+07:00'],
    });
  });

  it('requires a reference and a channel', () => {
    expect(checkRow(paymentRowSchema, { ...payment, reference: '', channel: undefined })).toEqual({
      ok: false,
      kpj: '12345678901',
      errors: ['reference: required', 'channel: required'],
    });
  });
});
