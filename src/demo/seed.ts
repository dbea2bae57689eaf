import { fakerID_ID } from '@faker-js/faker';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { addDays, instantAt } from '../local-time.js';
import { importBills, importParticipants, importPayments } from '../participants/index.js';

// Synthetic participants of the Blitar branch for the demo and the benchmarks: one generator, a size and a
// seed number, the same rows every time for the same inputs (and the same `today`), so a screenshot or a
// benchmark baseline can be reproduced. Nothing here is real personal data.

export interface SeedOptions {
  /** how many participants (the demo uses DEMO_SIZE) */
  size?: number;
  /** faker's seed: the same number gives the same people */
  seed?: number;
  /** the day bills are laid out around (YYYY-MM-DD in the business time zone) */
  today: string;
  /** BUSINESS_TZ: payments are made in office hours there */
  timeZone: string;
}

export interface SeedParticipant {
  kpj: string;
  name: string;
  phone: string;
  birthDate: string;
  category: 'BPU' | 'PU';
  language: 'id' | 'en' | 'jv';
}
export interface SeedBill {
  kpj: string;
  period: string;
  amount: number;
  dueDate: string;
  paymentCode: string;
}
export interface SeedPayment {
  reference: string;
  kpj: string;
  period: string;
  amount: number;
  paidAt: string;
  channel: string;
}
export interface SeedData {
  participants: SeedParticipant[];
  bills: SeedBill[];
  payments: SeedPayment[];
}

export const DEMO_SIZE = 300;
export const DEMO_SEED = 20261125;

/**
 * The first participant is always the same person, so the README's tour can name her and her birth date:
 * Siti Aminah, BPU at Rp36.800 a month, two months in arrears and the next month open (Rp110.400 in all).
 */
export const DEMO_PERSONA = {
  kpj: '11111111111',
  name: 'Siti Aminah',
  phone: '0812-3456-7801',
  birthDate: '17-08-1965',
} as const;

/** The standing reminder the demo starts: each unpaid bill three days before it is due, at 09:00. */
export const STANDING_CAMPAIGN = {
  name: 'Pengingat iuran H-3',
  template: { name: 'iuran_reminder', language: 'id' },
  audience: {},
  schedule: { dueDateOffsetDays: -3, time: '09:00' },
} as const;

// BPU: the JKK + JKM minimum, or with JHT; PU: a share of wages around Blitar's minimum wage.
const BPU_AMOUNTS = [16_800, 36_800] as const;
const CHANNELS = ['BRImo', 'Bank Mandiri', 'BNI', 'Kantor Pos', 'DANA', 'LinkAja', 'Agen Perisai'] as const;
// Telkomsel, Indosat and XL prefixes, written the ways officers type them
const PREFIXES = ['0812', '0813', '0821', '0852', '0857', '0878'] as const;
/** how many past months a participant's history covers */
const HISTORY_MONTHS = 7;
const DUE_DAY = 15;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const iso = (d: Date) => d.toISOString().slice(0, 10);
/** YYYY-MM of the month `offset` months from the month of `date` */
const monthOf = (date: string, offset: number) => {
  const d = new Date(`${date.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + offset);
  return iso(d).slice(0, 7);
};

function phoneIn(form: number, prefix: string, rest: string): string {
  const digits = `${prefix}${rest}`;
  switch (form) {
    case 0:
      return `${prefix}-${rest.slice(0, 4)}-${rest.slice(4)}`;
    case 1:
      return `+62 ${digits.slice(1, 4)} ${rest.slice(0, 4)} ${rest.slice(4)}`;
    case 2:
      return `62${digits.slice(1)}`;
    default:
      return digits;
  }
}

/** Pure: the rows to import. Benchmarks call this with a large size and import the rows themselves. */
export function generateSeed(opts: SeedOptions): SeedData {
  const size = opts.size ?? DEMO_SIZE;
  const faker = fakerID_ID;
  faker.seed(opts.seed ?? DEMO_SEED);
  const today = opts.today;
  const participants: SeedParticipant[] = [];
  const bills: SeedBill[] = [];
  const payments: SeedPayment[] = [];
  const phones = new Set<string>();

  for (let i = 0; i < size; i++) {
    const persona = i === 0;
    const sex = faker.helpers.arrayElement(['female', 'male'] as const);
    let rest = '';
    let prefix = '';
    do {
      prefix = faker.helpers.arrayElement(PREFIXES);
      rest = faker.string.numeric(8);
    } while (phones.has(prefix + rest));
    phones.add(prefix + rest);
    const born = faker.date.birthdate({ mode: 'age', min: 20, max: 60, refDate: `${today}T00:00:00Z` });
    const p: SeedParticipant = persona
      ? { ...DEMO_PERSONA, category: 'BPU', language: 'id' }
      : {
          kpj: String(20_000_000_000 + i * 7919),
          name: `${faker.person.firstName(sex)} ${faker.person.lastName(sex)}`,
          phone: phoneIn(faker.number.int(3), prefix, rest),
          birthDate: `${pad(born.getUTCDate())}-${pad(born.getUTCMonth() + 1)}-${born.getUTCFullYear()}`,
          category: faker.helpers.weightedArrayElement([
            { weight: 7, value: 'BPU' as const },
            { weight: 3, value: 'PU' as const },
          ]),
          language: faker.helpers.weightedArrayElement([
            { weight: 17, value: 'id' as const },
            { weight: 2, value: 'jv' as const },
            { weight: 1, value: 'en' as const },
          ]),
        };
    participants.push(p);

    const amount = persona
      ? 36_800
      : p.category === 'BPU'
        ? faker.helpers.arrayElement(BPU_AMOUNTS)
        : Math.round((faker.number.int({ min: 2_300, max: 4_500 }) * 1000 * 0.1024) / 100) * 100;
    // arrears: the unpaid months already past their due date, 0 to 6, most people none or one
    const arrears = persona
      ? 2
      : faker.helpers.weightedArrayElement([
          { weight: 8, value: 0 },
          { weight: 5, value: 1 },
          { weight: 3, value: 2 },
          { weight: 2, value: 3 },
          { weight: 1, value: 4 },
          { weight: 1, value: 5 },
          { weight: 1, value: 6 },
        ]);
    // the months whose due date has passed, oldest first; the last of them unpaid back `arrears` months
    const past: { period: string; dueDate: string }[] = [];
    for (let m = -HISTORY_MONTHS; m <= 0; m++) {
      const period = monthOf(today, m);
      const dueDate = `${period}-${DUE_DAY}`;
      if (dueDate < today) past.push({ period, dueDate });
    }
    past.forEach(({ period, dueDate }, k) => {
      const code = `${p.kpj}${period.replace('-', '')}`;
      bills.push({ kpj: p.kpj, period, amount, dueDate, paymentCode: code });
      if (k < past.length - arrears) {
        const paidOn = addDays(dueDate, -faker.number.int({ min: 0, max: 12 }));
        payments.push({
          reference: `SEED-${code}`,
          kpj: p.kpj,
          period,
          amount,
          paidAt: instantAt(
            paidOn,
            faker.number.int({ min: 8, max: 20 }) * 60 + faker.number.int(59),
            opts.timeZone,
          ).toISOString(),
          channel: faker.helpers.arrayElement(CHANNELS),
        });
      }
    });
    // the open bill not yet due: on the 15th, except for one participant in five whose due date falls
    // three days from today, so the standing H-3 reminder has someone to remind on any day of the demo
    const soon = addDays(today, 3);
    const nextPeriod = monthOf(today, past.at(-1)?.period === today.slice(0, 7) ? 1 : 0);
    const openDue = !persona && faker.number.int(4) === 0 ? soon : `${nextPeriod}-${DUE_DAY}`;
    bills.push({
      kpj: p.kpj,
      period: nextPeriod,
      amount,
      dueDate: openDue,
      paymentCode: `${p.kpj}${nextPeriod.replace('-', '')}`,
    });
  }
  return { participants, bills, payments };
}

export interface SeedCounts {
  participants: number;
  bills: number;
  payments: number;
}

/** Imports generated rows through the same code as the API, so the demo's data went where real data goes. */
export async function importSeed(
  db: Db,
  data: SeedData,
  keys: { dataKey: string; timeZone: string },
): Promise<SeedCounts> {
  const opts = { actor: 'demo-seed', source: 'json' as const };
  const p = await importParticipants(db, data.participants, { ...opts, ...keys });
  const b = await importBills(db, data.bills, opts);
  const pay = await importPayments(db, data.payments, opts);
  const rejected = p.rejected.length + b.rejected.length + pay.rejected.length;
  if (rejected > 0) throw new Error(`seed rows rejected: ${rejected} (a bug in the generator)`);
  return { participants: p.created + p.updated, bills: b.created + b.updated, payments: pay.recorded };
}

/** True when the database holds no participant yet: the demo seeds only then. */
export async function isEmpty(db: Db): Promise<boolean> {
  const result: unknown = await db.execute(sql`select not exists (select 1 from participants) as empty`);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
    empty: boolean;
  }[];
  return rows[0]?.empty === true;
}
