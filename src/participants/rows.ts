import { z } from 'zod';
import { isRealIsoDate, parseBirthDate } from './birth-date.js';
import { normalisePhone } from './phone.js';

// One schema per import row. Rows arrive from JSON (strings or numbers) and from CSV (always strings, an
// empty cell for a missing value), so every field starts as "a cell" and is read from there. Messages are
// short sentences for the branch officer who fixes the file; they never repeat the value (it may be a phone
// number or a name, which must not end up in logs).

export const KPJ_PATTERN = /^\d{11}$/;

/** A KPJ as shown to someone who should recognise it, not learn it: only its last four digits. */
export const maskKpj = (kpj: string): string => `${'*'.repeat(Math.max(0, kpj.length - 4))}${kpj.slice(-4)}`;
const PERIOD_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;
// Tabs and line breaks are refused because WhatsApp rejects template parameters containing them.
const CONTROL = /\p{Cc}/u;

const missing = (input: unknown): boolean => input === undefined || input === null;

/** A cell as trimmed text; '' when empty. */
const cell = z
  .union([z.string(), z.number()], {
    error: (issue) => (missing(issue.input) ? 'required' : 'must be text or a number'),
  })
  .transform((v) => String(v).trim());

const required = cell.pipe(z.string().min(1, { error: 'required', abort: true }));

const plainText = (max: number) =>
  required
    .refine((s) => Array.from(s).length <= max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain line breaks, tabs or control characters');

const kpj = required.pipe(z.string().regex(KPJ_PATTERN, 'must be 11 digits'));
const period = required.pipe(z.string().regex(PERIOD_PATTERN, 'must be a month as YYYY-MM'));

/** Positive whole rupiah; CSV cells may carry it as digits. */
const rupiah = z
  .union([z.string(), z.number()], {
    error: (issue) => (missing(issue.input) ? 'required' : 'must be a whole number of rupiah'),
  })
  .transform((v, ctx) => {
    const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n <= 0) {
      ctx.addIssue({
        code: 'custom',
        message:
          typeof v === 'string' && v.trim() === '' ? 'required' : 'must be a positive whole number of rupiah',
      });
      return z.NEVER;
    }
    return n;
  });

const optionalLower = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (missing(v) ? undefined : String(v).trim().toLowerCase() || undefined));

/** A participant row; `today` (YYYY-MM-DD in BUSINESS_TZ) is the last day a birth date may be. */
export const participantRowSchema = (today: string) =>
  z.object({
    kpj,
    name: plainText(200),
    phone: required.transform((s, ctx) => {
      const result = normalisePhone(s);
      if (result.ok) return result.waId;
      ctx.addIssue({ code: 'custom', message: result.reason });
      return z.NEVER;
    }),
    birthDate: required.transform((s, ctx) => {
      const date = parseBirthDate(s, today);
      if (date) return date;
      ctx.addIssue({ code: 'custom', message: 'not a real past date (DD-MM-YYYY or YYYY-MM-DD)' });
      return z.NEVER;
    }),
    category: required
      .transform((s) => s.toUpperCase())
      .pipe(z.enum(['BPU', 'PU'], { error: 'must be BPU or PU' })),
    language: optionalLower.pipe(z.enum(['id', 'en', 'jv'], { error: 'must be id, en or jv' }).optional()),
  });
export type ParticipantRow = z.output<ReturnType<typeof participantRowSchema>>;

export const billRowSchema = z.object({
  kpj,
  period,
  amount: rupiah,
  dueDate: required.refine(isRealIsoDate, 'must be a date as YYYY-MM-DD'),
  paymentCode: plainText(64),
});
export type BillRow = z.output<typeof billRowSchema>;

export const paymentRowSchema = z.object({
  reference: plainText(200),
  kpj,
  period,
  amount: rupiah,
  paidAt: required
    .pipe(
      z.iso.datetime({
        offset: true,
        error: 'must be an ISO 8601 time with offset, e.g. 2026-11-10T09:30:00+07:00',
      }),
    )
    .transform((s) => new Date(s)),
  channel: plainText(100),
});
export type PaymentRow = z.output<typeof paymentRowSchema>;

export type RowCheck<T> = { ok: true; value: T } | { ok: false; kpj?: string; errors: string[] };

/** Validates one row; errors are `field: sentence`, one per problem, in field order. */
export function checkRow<T>(schema: z.ZodType<T>, raw: unknown): RowCheck<T> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: ['row: must be an object of named fields'] };
  }
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  const errors = result.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || 'row';
    return `${field}: ${issue.message}`;
  });
  // The kpj is echoed only when well-formed: it then identifies the row without revealing anything else.
  const rawKpj = (raw as Record<string, unknown>).kpj;
  const kpjText = typeof rawKpj === 'string' || typeof rawKpj === 'number' ? String(rawKpj).trim() : '';
  return KPJ_PATTERN.test(kpjText) ? { ok: false, kpj: kpjText, errors } : { ok: false, errors };
}
