// npm run bench:import [-- --size 100000] [--chunk 10000]
//
// A branch's register and its month's bills imported through the HTTP API of the service started as
// production starts it, one request at a time in `--chunk`-row requests, as an officer's tool sends them:
//   1. participants as JSON (`POST /api/participants`, all new kpjs),
//   2. participants as CSV (`POST /api/participants`, text/csv) for a second, fresh set of kpjs: the same
//      create path as 1, so the two differ only in how the body is read,
//   3. bills as JSON (`POST /api/bills`): the open bill of each participant of set 1.
// Baseline, in the same run and process: a bare Fastify route receiving the same bodies (JSON.parse, or
// csv-parse for CSV) and writing the rows as they came in with a multi-row INSERT (1,000 rows a statement,
// one transaction a request) into a scratch table keyed like the real one. That is the floor of any
// import: transport, parsing and landing the rows; the ratio is what Tagih's checks (validation, phone
// normalisation, birth-date hashing, upsert, bill linking, audit) cost on top. The transport alone (no
// write) is printed as well.
import { parse } from 'csv-parse';
import { sql as dsql } from 'drizzle-orm';
import Fastify from 'fastify';
import postgres from 'postgres';
import { generateSeed, type SeedBill, type SeedParticipant } from '../src/demo/seed.js';
import { IMPORT_BODY_LIMIT } from '../src/participants/index.js';
import { machineLine, numberArg, servers, startBenchRun } from './support.js';

const size = numberArg('size', 100_000);
const chunk = numberArg('chunk', 10_000);
const TARGET = 2_000;
const { databaseUrl, redisUrl } = servers('import');

const PARTICIPANT_COLUMNS = ['kpj', 'name', 'phone', 'birthDate', 'category', 'language'] as const;

const csvCell = (v: string | number): string => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
function toCsv<T>(rows: T[], columns: readonly (keyof T & string)[]): string {
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c] as string | number)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
function split<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += chunk) out.push(rows.slice(i, i + chunk));
  return out;
}

interface Body {
  rows: number;
  text: string;
  type: 'application/json' | 'text/csv';
}
const jsonBodies = <T>(key: string, rows: T[]): Body[] =>
  split(rows).map((c) => ({ rows: c.length, text: JSON.stringify({ [key]: c }), type: 'application/json' }));
const csvBodies = <T>(rows: T[], columns: readonly (keyof T & string)[]): Body[] =>
  split(rows).map((c) => ({ rows: c.length, text: toCsv(c, columns), type: 'text/csv' }));

interface Pass {
  rows: number;
  seconds: number;
  rate: number;
  slowestMs: number;
  answers: { created: number; updated: number; rejected: number };
}

/** Posts the bodies one after another, as one officer's tool would, and times the whole pass. */
async function post(url: string, bodies: Body[], headers: Record<string, string>): Promise<Pass> {
  const answers = { created: 0, updated: 0, rejected: 0 };
  let slowestMs = 0;
  const started = performance.now();
  for (const body of bodies) {
    const t = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': body.type },
      body: body.text,
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 300)}`);
    const a = JSON.parse(text) as { created?: number; updated?: number; rejected?: unknown[] };
    answers.created += a.created ?? 0;
    answers.updated += a.updated ?? 0;
    answers.rejected += a.rejected?.length ?? 0;
    slowestMs = Math.max(slowestMs, performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  const rows = bodies.reduce((n, b) => n + b.rows, 0);
  return { rows, seconds, rate: rows / seconds, slowestMs, answers };
}

console.log(`generating ${size} + ${size} participants and ${size} bills …`);
const today = new Date().toISOString().slice(0, 10);
const setA = generateSeed({ size, seed: 1, today, timeZone: 'Asia/Jakarta' });
// a second register with kpjs of its own (the generator numbers kpjs by position), for the CSV pass
const setB: SeedParticipant[] = generateSeed({
  size,
  seed: 2,
  today,
  timeZone: 'Asia/Jakarta',
}).participants.map((p) => ({
  ...p,
  kpj: String(Number(p.kpj) + 10_000_000_000),
}));
// the month's bill run: each participant's open (latest) bill
const openBill = new Map<string, SeedBill>();
for (const b of setA.bills) openBill.set(b.kpj, b);
const billRows = [...openBill.values()];

const bodies = {
  participantsJson: jsonBodies('participants', setA.participants),
  participantsCsv: csvBodies(setB, PARTICIPANT_COLUMNS),
  billsJson: jsonBodies('bills', billRows),
};
const largest = Math.max(
  ...Object.values(bodies).flatMap((list) => list.map((b) => Buffer.byteLength(b.text))),
);
if (largest > IMPORT_BODY_LIMIT) {
  throw new Error(
    `a ${chunk}-row request is ${largest} bytes, over the routes' limit of ${IMPORT_BODY_LIMIT}`,
  );
}

const run = await startBenchRun({ databaseUrl, redisUrl });
const { database, adminKey, service } = run;
const sql = postgres(database.url, { max: 2, onnotice: () => {} });
const bare = Fastify({ bodyLimit: IMPORT_BODY_LIMIT, logger: false });

try {
  const headers = { authorization: `Bearer ${adminKey}` };
  const tagih = {
    participantsJson: await post(`${service.address}/api/participants`, bodies.participantsJson, headers),
    participantsCsv: await post(`${service.address}/api/participants`, bodies.participantsCsv, headers),
    billsJson: await post(`${service.address}/api/bills`, bodies.billsJson, headers),
  };
  const db = service.database.db;
  const count = async (table: 'participants' | 'bills') =>
    (
      (await db.execute(dsql.raw(`select count(*)::int as n from ${table}`))) as unknown as { n: number }[]
    )[0]!.n;
  const landed = { participants: await count('participants'), bills: await count('bills') };

  // Baseline: the same bodies, received, parsed and written as they are, nothing else.
  await sql`create table scratch_participants (kpj text primary key, name text not null, phone text not null,
    birth_date text not null, category text not null, language text)`;
  await sql`create table scratch_bills (kpj text not null, period text not null, amount bigint not null,
    due_date date not null, payment_code text not null, primary key (kpj, period))`;
  bare.addContentTypeParser('text/csv', async (_request: unknown, payload: NodeJS.ReadableStream) => {
    const records: string[][] = [];
    for await (const record of payload.pipe(parse({ bom: true, trim: true, skip_empty_lines: true }))) {
      records.push(record as string[]);
    }
    const [header, ...cells] = records;
    return cells.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]])));
  });
  const rowsOf = (body: unknown, key: string): Record<string, unknown>[] =>
    (Array.isArray(body) ? body : (body as Record<string, unknown[]>)[key]) as Record<string, unknown>[];
  const write = async (table: string, rows: Record<string, unknown>[], columns: string[]) => {
    await sql.begin(async (tx) => {
      for (let i = 0; i < rows.length; i += 1000) {
        await tx`insert into ${tx(table)} ${tx(rows.slice(i, i + 1000) as Record<string, string>[], ...columns)}`;
      }
    });
  };
  const snake = (rows: Record<string, unknown>[], map: Record<string, string>) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [map[k] ?? k, v])));
  bare.post<{ Querystring: { write?: string } }>('/participants', async (request) => {
    const rows = rowsOf(request.body, 'participants');
    if (request.query.write === '1') {
      await write('scratch_participants', snake(rows, { birthDate: 'birth_date' }), [
        'kpj',
        'name',
        'phone',
        'birth_date',
        'category',
        'language',
      ]);
    }
    return { created: rows.length };
  });
  bare.post<{ Querystring: { write?: string } }>('/bills', async (request) => {
    const rows = rowsOf(request.body, 'bills');
    if (request.query.write === '1') {
      await write('scratch_bills', snake(rows, { dueDate: 'due_date', paymentCode: 'payment_code' }), [
        'kpj',
        'period',
        'amount',
        'due_date',
        'payment_code',
      ]);
    }
    return { created: rows.length };
  });
  const bareAddress = await bare.listen({ port: 0, host: '127.0.0.1' });
  const baseline = {
    participantsJson: await post(`${bareAddress}/participants?write=1`, bodies.participantsJson, {}),
    participantsCsv: await post(`${bareAddress}/participants?write=1`, bodies.participantsCsv, {}),
    billsJson: await post(`${bareAddress}/bills?write=1`, bodies.billsJson, {}),
  };
  const transport = {
    participantsJson: await post(`${bareAddress}/participants`, bodies.participantsJson, {}),
    participantsCsv: await post(`${bareAddress}/participants`, bodies.participantsCsv, {}),
    billsJson: await post(`${bareAddress}/bills`, bodies.billsJson, {}),
  };
  const [scratch] = await sql<{ p: number; b: number }[]>`select
    (select count(*)::int from scratch_participants) as p, (select count(*)::int from scratch_bills) as b`;

  const f = (n: number) => Math.round(n).toLocaleString('en');
  console.log('');
  console.log(
    `import of ${f(size)} participants (JSON), ${f(size)} more (CSV, fresh kpjs) and ${f(billRows.length)} bills (JSON), ` +
      `${f(chunk)} rows a request, one request at a time; ${machineLine()}`,
  );
  console.log(
    `  largest request ${(largest / 2 ** 20).toFixed(1)} MiB (limit ${IMPORT_BODY_LIMIT / 2 ** 20} MiB)`,
  );
  const line = (name: keyof typeof tagih) => {
    const t = tagih[name];
    const b = baseline[name];
    const ok = t.rate >= TARGET ? 'met' : 'NOT met';
    console.log(
      `  ${name.padEnd(17)} tagih ${f(t.rate).padStart(7)} rows/s (${t.seconds.toFixed(1)} s, slowest request ${f(t.slowestMs)} ms)` +
        ` | baseline ${f(b.rate).padStart(7)} rows/s | ratio ${(t.rate / b.rate).toFixed(2)}` +
        ` | transport only ${f(transport[name].rate)} rows/s | target ≥ ${f(TARGET)}: ${ok}`,
    );
    console.log(
      `  ${''.padEnd(17)} answers: created ${f(t.answers.created)}, updated ${f(t.answers.updated)}, rejected ${f(t.answers.rejected)}`,
    );
  };
  line('participantsJson');
  line('participantsCsv');
  line('billsJson');
  console.log(
    `  in the database: ${f(landed.participants)} participants (expected ${f(2 * size)}), ${f(landed.bills)} bills (expected ${f(billRows.length)}); ` +
      `scratch tables ${f(scratch!.p)} / ${f(scratch!.b)}`,
  );
  const expected =
    landed.participants === 2 * size &&
    landed.bills === billRows.length &&
    tagih.participantsJson.answers.created === size &&
    tagih.participantsCsv.answers.created === size &&
    tagih.billsJson.answers.created === billRows.length;
  if (!expected) {
    console.log('  COUNTS DO NOT MATCH');
    process.exitCode = 1;
  }
} finally {
  await bare.close();
  await sql.end();
  await run.stop();
}
