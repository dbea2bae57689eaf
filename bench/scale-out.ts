// npm run bench:scale-out [-- --processes 1,2,4 --size 3000 --concurrency 8 --mps 200 --latency 100 --pool 8]
//
// N service processes (child processes, each the real service in production mode) on one PostgreSQL
// database and one Redis prefix, sending one campaign to a fake Cloud API that answers after `--latency`
// ms and records every arrival and recipient. Each process keeps `--concurrency` sends in flight, so one
// process is bound near concurrency ÷ latency; WHATSAPP_MPS (`--mps`) is the cap across all of them.
// For each process count: throughput, the most arrivals at the fake in any 1,000 ms window against the cap,
// requests beyond one per recipient, and the speed-up over 1 process (the baseline, measured in the same
// run) next to the ideal min(N × single, cap).
//
// Only the HTTP API, the database tables and the fake's counts are used: nothing of the send path's insides.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type SQL, sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/index.js';
import {
  benchEnv,
  benchRedisPrefix,
  clearRedisPrefix,
  createBenchDatabase,
  machineLine,
  maxInWindow,
  newAdminKey,
  numberArg,
  numbersArg,
  seedBills,
  seedParticipants,
  servers,
  startFakeCloudApi,
} from './support.js';

const size = numberArg('size', 3000);
const concurrency = numberArg('concurrency', 8);
const mps = numberArg('mps', 200);
const latencyMs = numberArg('latency', 100);
const pool = numberArg('pool', 8);
// 1 process is the baseline: always measured, first
const counts = [...new Set([1, ...numbersArg('processes', [1, 2, 4])])].sort((a, b) => a - b);
if (counts.some((n) => n < 1 || !Number.isInteger(n))) throw new Error('--processes needs whole numbers ≥ 1');
const { databaseUrl, redisUrl } = servers('scale-out');

const WORKER = fileURLToPath(new URL('./scale-out-worker.ts', import.meta.url));
const STALL_MS = 60_000;

interface Round {
  processes: number;
  seconds: number;
  rate: number;
  fakeRate: number;
  maxWindow: number;
  requests: number;
  duplicates: number;
  missing: number;
  /** accepted sends per process, from each one's GET /metrics */
  shares: (number | null)[];
  /** CPU time of all service processes during the round, ms per message */
  cpuMsPerMessage: number;
}

const fake = await startFakeCloudApi({ latencyMs, keepArrivals: true });
const database = await createBenchDatabase(databaseUrl);
const redisPrefix = benchRedisPrefix();
const adminKey = newAdminKey();
const env = benchEnv({
  databaseUrl: database.url,
  redisUrl,
  apiUrl: fake.url,
  adminKey,
  redisPrefix,
  extra: {
    WHATSAPP_MPS: String(mps),
    WHATSAPP_SEND_CONCURRENCY: String(concurrency),
    DATABASE_POOL_SIZE: String(pool),
  },
});
// the bench's own connection: seeding and counting (it also runs the migrations, once, before any process)
const local = await openDatabase({
  databaseUrl: database.url,
  dataDir: 'memory://',
  migrate: true,
  poolSize: 2,
});
const db = local.db;
const children = new Set<ChildProcess>();

interface Worker {
  child: ChildProcess;
  address: string;
}

function startWorker(): Promise<Worker> {
  const child = fork(WORKER, [], {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    child.once('message', (m: { address: string }) => resolve({ child, address: m.address }));
    child.once('exit', (code, signal) =>
      reject(new Error(`service process exited before it listened (${code ?? signal})`)),
    );
  });
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    console.error(`  process ${child.pid} did not stop in 30 s after SIGTERM: SIGKILL`);
    child.kill('SIGKILL');
  }, 30_000);
  await exited;
  clearTimeout(timer);
  if (child.exitCode !== 0)
    console.error(`  process ${child.pid} exited with ${child.exitCode ?? child.signalCode}`);
}

const count = async (query: SQL): Promise<number> => {
  const result = (await db.execute(query)) as unknown as { n: number }[];
  return result[0]!.n;
};

function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: { cpu?: number }) => {
      if (typeof m.cpu !== 'number') return;
      child.off('message', onMessage);
      resolve(m.cpu);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

/** Accepted sends of one process, from its Prometheus metrics (null if the metric is not there). */
async function acceptedSends(address: string): Promise<number | null> {
  const text = await (await fetch(`${address}/metrics`)).text();
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('tagih_sends_total{') && line.includes('outcome="accepted"')) {
      total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

async function runRound(processes: number, round: number): Promise<Round> {
  console.log(`${processes} process${processes > 1 ? 'es' : ''}: starting …`);
  const workers = await Promise.all(Array.from({ length: processes }, startWorker));
  try {
    const api = workers[0]!.address;
    const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${api}/api/campaigns`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: `scale-out round ${round}, ${processes} processes`,
        template: { name: 'iuran_reminder', language: 'id' },
        audience: {},
      }),
    });
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`);
    const campaign = (await created.json()) as { id: number; audienceSize: number };
    if (campaign.audienceSize !== size)
      throw new Error(`audience ${campaign.audienceSize}, expected ${size}`);

    const before = await fake.stats();
    const cpuBefore = await Promise.all(workers.map((w) => cpuOf(w.child)));
    const started = performance.now();
    const start = await fetch(`${api}/api/campaigns/${campaign.id}/start`, {
      method: 'POST',
      headers: { authorization: headers.authorization },
    });
    if (start.status !== 202) throw new Error(`start answered ${start.status}: ${await start.text()}`);

    const accepted = () =>
      count(sql`select count(*)::int as n from campaign_recipients r
        join messages m on m.campaign_recipient_id = r.id and m.campaign_attempt = r.attempts
        where r.campaign_id = ${campaign.id} and m.status = 'accepted'`);
    let done = 0;
    let lastPrint = started;
    let lastProgress = started;
    while (done < size) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await accepted();
      if (now > done) lastProgress = performance.now();
      done = now;
      if (performance.now() - lastPrint > 5000) {
        lastPrint = performance.now();
        console.log(`  ${done} / ${size} accepted`);
      }
      if (performance.now() - lastProgress > STALL_MS) {
        throw new Error(`no message accepted for ${STALL_MS / 1000} s (${done} / ${size})`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = await Promise.all(workers.map((w) => cpuOf(w.child)));
    const cpuMs = cpuAfter.reduce((sum, c, i) => sum + c - cpuBefore[i]!, 0) / 1000;
    const shares = await Promise.all(workers.map((w) => acceptedSends(w.address)));

    const after = await fake.stats();
    const arrivals = after.arrivals.slice(before.arrivals.length);
    const recipients = after.recipients.slice(before.recipients.length);
    const perRecipient = new Map<string, number>();
    for (const to of recipients) perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
    const duplicates = recipients.length - perRecipient.size;
    const span = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
    return {
      processes,
      seconds,
      rate: size / seconds,
      fakeRate: span > 0 ? (arrivals.length - 1) / span : Number.NaN,
      maxWindow: maxInWindow(arrivals, 1000),
      requests: after.count - before.count,
      duplicates,
      missing: size - perRecipient.size,
      shares,
      cpuMsPerMessage: cpuMs / size,
    };
  } finally {
    await Promise.all(workers.map((w) => stopWorker(w.child)));
  }
}

const results: Round[] = [];
try {
  console.log(`seeding ${size} participants and bills …`);
  const people = await seedParticipants(db, size);
  await seedBills(db, people);

  for (const [i, n] of counts.entries()) {
    const r = await runRound(n, i + 1);
    results.push(r);
    console.log(
      `  ${r.rate.toFixed(0)} msg/s (${r.seconds.toFixed(1)} s), max ${r.maxWindow} in 1 s (cap ${mps}), ${r.duplicates} duplicates`,
    );
  }

  const single = results[0]!.rate;
  console.log('');
  console.log(
    `scale-out: ${size} recipients per round, ${concurrency} sends in flight per process, fake latency ${latencyMs} ms, WHATSAPP_MPS ${mps}; ${machineLine()}`,
  );
  console.log(
    `  one process is bound near ${concurrency} / ${latencyMs / 1000} s = ${((concurrency * 1000) / latencyMs).toFixed(0)} msg/s; baseline: 1 process, measured in this run (${single.toFixed(0)} msg/s)`,
  );
  const row = (cells: (string | number)[]) =>
    console.log(`  ${cells.map((c, i) => String(c).padStart(i === 0 ? 9 : 12)).join(' ')}`);
  row([
    'processes',
    'msg/s',
    'fake msg/s',
    'max in 1 s',
    'duplicates',
    'speed-up',
    'ideal',
    'of ideal',
    'CPU ms/msg',
  ]);
  for (const r of results) {
    const ideal = Math.min(r.processes * single, mps);
    row([
      r.processes,
      r.rate.toFixed(0),
      r.fakeRate.toFixed(0),
      `${r.maxWindow} / ${mps}`,
      r.duplicates,
      `${(r.rate / single).toFixed(2)}×`,
      ideal.toFixed(0),
      (r.rate / ideal).toFixed(2),
      r.cpuMsPerMessage.toFixed(1),
    ]);
  }
  for (const r of results.filter((x) => x.processes > 1)) {
    console.log(`  ${r.processes} processes: sends per process ${r.shares.map((n) => n ?? '?').join(' / ')}`);
  }
  const overCap = results.filter((r) => r.maxWindow > mps);
  const withDuplicates = results.filter((r) => r.duplicates > 0 || r.requests !== size);
  const missing = results.filter((r) => r.missing > 0);
  // the cap is only put to the test by a round whose senders could go faster than it
  const binding = results.filter((r) => r.maxWindow >= mps * 0.9);
  const capLine =
    overCap.length > 0
      ? `EXCEEDED: ${overCap.map((r) => `${r.processes} processes ${r.maxWindow} in 1 s (+${((r.maxWindow / mps - 1) * 100).toFixed(0)}%)`).join(', ')}`
      : binding.length > 0
        ? `held (reached ≥ 90% of it with ${binding.map((r) => r.processes).join(', ')} processes)`
        : `not reached in any round (the most was ${Math.max(...results.map((r) => r.maxWindow))} in 1 s): not put to the test; lower --mps to see it bind`;
  console.log(`  cap at the fake: ${capLine}`);
  console.log(
    `  sent twice: ${withDuplicates.length === 0 ? 'nobody (one request per recipient in every round)' : withDuplicates.map((r) => `${r.processes} processes: ${r.requests} requests, ${r.duplicates} duplicates`).join('; ')}`,
  );
  if (missing.length > 0)
    console.log(
      `  never sent: ${missing.map((r) => `${r.processes} processes: ${r.missing} recipients`).join('; ')}`,
    );
  console.log(
    '  msg/s: recipients ÷ time from /start to the last accepted; fake msg/s: first to last arrival; CPU: all service processes, during the round',
  );
} finally {
  await Promise.all([...children].map(stopWorker));
  await local.close();
  await fake.stop();
  await database.drop();
  await clearRedisPrefix(redisUrl, redisPrefix);
}
