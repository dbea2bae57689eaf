// What every benchmark shares: real PostgreSQL and Redis from the environment, a database of its own per
// run (dropped at the end), the service started as production starts it, and a fake Cloud API on its own
// thread (as the real one runs elsewhere) that counts what reaches it.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { loadConfig } from '../src/config.js';
import type { Db } from '../src/db/index.js';
import { generateSeed } from '../src/demo/seed.js';
import { importBills, importParticipants } from '../src/participants/index.js';
import { type Service, startService } from '../src/service.js';
import type { ProcessMemory } from './service-process.js';

type SeedParticipant = ReturnType<typeof generateSeed>['participants'][number];

export const BENCH_PHONE_NUMBER_ID = '106540352242922';
export const BENCH_APP_SECRET = 'bench-app-secret';
export const BENCH_DATA_KEY = 'b'.repeat(40);

/** `--name value` from the command line, as a number. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n)) throw new Error(`--${name} needs a number`);
  return n;
}

/** `--name a,b,c` from the command line, as numbers. */
export function numbersArg(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const list = String(process.argv[i + 1])
    .split(',')
    .map(Number);
  if (list.some((n) => !Number.isFinite(n))) throw new Error(`--${name} needs numbers, comma separated`);
  return list;
}

export function servers(benchName: string): { databaseUrl: string; redisUrl: string } {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    console.error(
      `bench:${benchName} needs TEST_DATABASE_URL and TEST_REDIS_URL (real PostgreSQL and Redis)`,
    );
    process.exit(1);
  }
  return { databaseUrl, redisUrl };
}

/** One line on the machine, printed with every result so that a figure always says where it ran. */
export function machineLine(): string {
  const [one] = loadavg();
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, load ${one!.toFixed(2)}, node ${process.version}`;
}

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A database of its own for this run, on the server of `databaseUrl`. */
export async function createBenchDatabase(databaseUrl: string): Promise<BenchDatabase> {
  const name = `tagih_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** A unique Redis key prefix per run, so a benchmark never meets another's queues. */
export const benchRedisPrefix = (): string => `tagih-bench-${randomBytes(4).toString('hex')}`;

/** The environment a benchmark's service runs with: production mode against the fake Cloud API. */
export function benchEnv(opts: {
  databaseUrl: string;
  redisUrl: string;
  apiUrl: string;
  adminKey: string;
  /** REDIS_PREFIX (e.g. benchRedisPrefix()), so that queues and the send log are this run's own */
  redisPrefix?: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    ...(opts.redisPrefix ? { REDIS_PREFIX: opts.redisPrefix } : {}),
    DATA_KEY: BENCH_DATA_KEY,
    ADMIN_API_KEY: opts.adminKey,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    WHATSAPP_API_URL: opts.apiUrl,
    WHATSAPP_PHONE_NUMBER_ID: BENCH_PHONE_NUMBER_ID,
    WHATSAPP_ACCESS_TOKEN: 'bench-token',
    WHATSAPP_APP_SECRET: BENCH_APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'bench-verify',
    WHATSAPP_MPS: '1000',
    QUIET_HOURS: '',
    API_RATE_PER_MINUTE: '1000000',
    WEBHOOK_SENDER_RATE_PER_MINUTE: '1000000',
    ...opts.extra,
  };
}

export async function startBenchService(env: Record<string, string>): Promise<Service> {
  return startService(loadConfig(env));
}

/**
 * `size` participants from the demo's generator (real names, phone forms and languages, so bodies have
 * their real size), imported as the API imports them, 10,000 at a time.
 */
export async function seedParticipants(db: Db, size: number, seed = 1): Promise<SeedParticipant[]> {
  const people = generateSeed({
    size,
    seed,
    today: new Date().toISOString().slice(0, 10),
    timeZone: 'Asia/Jakarta',
  }).participants;
  for (let i = 0; i < size; i += 10_000) {
    await importParticipants(db, people.slice(i, i + 10_000), {
      dataKey: BENCH_DATA_KEY,
      timeZone: 'Asia/Jakarta',
      actor: 'bench',
      source: 'json',
    });
  }
  return people;
}

/** One unpaid bill for each of these participants, for `period`. */
export async function seedBills(db: Db, people: SeedParticipant[], period = '2026-11'): Promise<void> {
  const bills = people.map((p, i) => ({
    kpj: p.kpj,
    period,
    amount: 36_800,
    dueDate: `${period}-15`,
    paymentCode: `PC${period.replace('-', '')}${i}`,
  }));
  for (let i = 0; i < bills.length; i += 10_000) {
    await importBills(db, bills.slice(i, i + 10_000), { actor: 'bench', source: 'json' });
  }
}

export interface BenchRun {
  fake: FakeCloudApi;
  database: BenchDatabase;
  redisPrefix: string;
  adminKey: string;
  service: Service;
  /** stops the service and the fake, drops the database and deletes the run's Redis keys */
  stop(): Promise<void>;
}

/** What most benchmarks start with: a fake Cloud API, a database and a Redis prefix of their own, the service. */
export async function startBenchRun(opts: {
  databaseUrl: string;
  redisUrl: string;
  fake?: Parameters<typeof startFakeCloudApi>[0];
  extra?: Record<string, string>;
}): Promise<BenchRun> {
  const fake = await startFakeCloudApi(opts.fake);
  const database = await createBenchDatabase(opts.databaseUrl);
  const redisPrefix = benchRedisPrefix();
  const adminKey = newAdminKey();
  const service = await startBenchService(
    benchEnv({
      databaseUrl: database.url,
      redisUrl: opts.redisUrl,
      apiUrl: fake.url,
      adminKey,
      redisPrefix,
      ...(opts.extra ? { extra: opts.extra } : {}),
    }),
  );
  return {
    fake,
    database,
    redisPrefix,
    adminKey,
    service,
    async stop() {
      await service.stop();
      await fake.stop();
      await database.drop();
      await clearRedisPrefix(opts.redisUrl, redisPrefix);
    },
  };
}

export const newAdminKey = (): string => `bench-admin-${randomBytes(12).toString('hex')}`;

export interface FakeCloudApi {
  url: string;
  /**
   * requests to …/messages so far, the first few bodies, every arrival time (ms since the epoch, the
   * fake's clock), and (with `countDuplicates`) how many bodies were byte for byte one seen before
   */
  stats(): Promise<{
    count: number;
    bodies: string[];
    arrivals: number[];
    recipients: string[];
    duplicates: number;
    /** when the first request to …/messages arrived (ms since the epoch, the fake's clock); null before */
    first: number | null;
  }>;
  stop(): Promise<void>;
}

/**
 * The Cloud API's send endpoint, on a thread of its own: answers each POST …/messages with a fresh wamid
 * after `latencyMs` (the real one answers in tens to hundreds of ms), counting arrivals and recipients so a
 * benchmark can check the cap and duplicates.
 */
export async function startFakeCloudApi(
  opts: { latencyMs?: number; keepArrivals?: boolean; countDuplicates?: boolean } = {},
) {
  const source = `
const { createServer } = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let n = 0; let first = null; const bodies = []; const arrivals = []; const recipients = [];
const seen = new Set(); let duplicates = 0;
const server = createServer({ keepAliveTimeout: 60000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const isSend = req.url.endsWith('/messages');
    if (isSend) {
      if (first === null) first = performance.timeOrigin + performance.now();
      const text = Buffer.concat(chunks).toString();
      if (bodies.length < 5) bodies.push(text);
      if (workerData.keepArrivals) {
        arrivals.push(performance.timeOrigin + performance.now());
        const m = /"to":"([^"]+)"/.exec(text);
        if (m) recipients.push(m[1]);
      }
      if (workerData.countDuplicates) {
        const digest = createHash('sha256').update(text).digest('base64');
        if (seen.has(digest)) duplicates++; else seen.add(digest);
      }
      n++;
    }
    // this request's number, taken now: with a latency, n has moved on by the time it is answered
    const id = n;
    const answer = () => {
      res.setHeader('content-type', 'application/json');
      res.end(isSend ? '{"messaging_product":"whatsapp","messages":[{"id":"wamid.B' + id + '"}]}' : '{"success":true}');
    };
    if (workerData.latencyMs > 0) setTimeout(answer, workerData.latencyMs); else answer();
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'stats') parentPort.postMessage({ count: n, bodies, arrivals, recipients, duplicates, first });
  if (m === 'stop') {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  }
});
`;
  const worker = new Worker(source, {
    eval: true,
    workerData: {
      latencyMs: opts.latencyMs ?? 0,
      keepArrivals: opts.keepArrivals ?? false,
      countDuplicates: opts.countDuplicates ?? false,
    },
  });
  const port = await new Promise<number>((resolve) =>
    worker.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const fake: FakeCloudApi = {
    url: `http://127.0.0.1:${port}`,
    stats: () =>
      new Promise((resolve) => {
        worker.once('message', resolve);
        worker.postMessage('stats');
      }),
    stop: async () => {
      worker.postMessage('stop');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
  return fake;
}

/** The most arrivals inside any window of `windowMs`, for checking a cap as the Cloud API counts it. */
export function maxInWindow(arrivals: number[], windowMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

/** Percentile (0–100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface CpuCost {
  /** the service's main thread (the fake Cloud API's thread not included), user + system, ms */
  serviceMs: number;
  /** the PostgreSQL backends serving this run's database, user + system, ms */
  postgresMs: number;
  /** the Redis server (all of it: other clients of the same server count too), ms */
  redisMs: number;
}

/**
 * Where the CPU of a stretch of work went: the service's main thread, PostgreSQL and Redis. CPU time per
 * message moves far less with the machine's load than messages per second do, and it is what a capacity
 * plan is made of.
 */
export async function cpuMeter(opts: { databaseUrl: string; redisUrl: string }) {
  const { Redis } = await import('ioredis');
  const { readFileSync } = await import('node:fs');
  const redis = new Redis(opts.redisUrl);
  const sqlClient = postgres(opts.databaseUrl, { max: 1, onnotice: () => {} });
  const dbName = new URL(opts.databaseUrl).pathname.slice(1);
  const ticksMs = 10; // USER_HZ is 100 on Linux
  const backendMs = async () => {
    const pids = await sqlClient<
      { pid: number }[]
    >`select pid from pg_stat_activity where datname = ${dbName}`;
    let total = 0;
    for (const { pid } of pids) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        total += (Number(fields[11]) + Number(fields[12])) * ticksMs;
      } catch {
        // a backend that ended between the query and the read
      }
    }
    return total;
  };
  const redisCpuMs = async () => {
    const info = await redis.info('cpu');
    const pick = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
    return (pick('used_cpu_user') + pick('used_cpu_sys')) * 1000;
  };
  // The main thread's own CPU time: event-loop utilisation would count the time it waited for a core.
  const mainThreadMs = () => {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * ticksMs;
  };
  let main = mainThreadMs();
  let pg = await backendMs();
  let rd = await redisCpuMs();
  return {
    /** starts the stretch afresh */
    async reset() {
      main = mainThreadMs();
      pg = await backendMs();
      rd = await redisCpuMs();
    },
    async read(): Promise<CpuCost> {
      return {
        serviceMs: mainThreadMs() - main,
        postgresMs: (await backendMs()) - pg,
        redisMs: (await redisCpuMs()) - rd,
      };
    },
    async close() {
      redis.disconnect();
      await sqlClient.end();
    },
  };
}

/** "0.42 ms service + 0.30 ms PostgreSQL + 0.10 ms Redis = 0.82 ms of CPU a message" */
export function describeCost(cost: CpuCost, count: number, unit = 'message'): string {
  const per = (ms: number) => (ms / count).toFixed(3);
  const total = cost.serviceMs + cost.postgresMs + cost.redisMs;
  return `${per(cost.serviceMs)} ms service main thread + ${per(cost.postgresMs)} ms PostgreSQL + ${per(cost.redisMs)} ms Redis = ${per(total)} ms of CPU a ${unit}`;
}
/** Every key under `prefix:` (SCAN, never KEYS), in batches. */
export async function* scanPrefix(redis: Redis, prefix: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/** Deletes this run's keys (those under `prefix:`) and nothing else: other benchmarks share the Redis. */
export async function clearRedisPrefix(redisUrl: string, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`refusing to clear the prefix ${prefix}`);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  let deleted = 0;
  try {
    for await (const keys of scanPrefix(redis, prefix)) deleted += await redis.unlink(...keys);
  } finally {
    await redis.quit();
  }
  return deleted;
}

export interface ServiceProcess {
  address: string;
  pid: number;
  /** after two full garbage collections in the service process */
  memory(): Promise<ProcessMemory>;
  stop(): Promise<void>;
}

/**
 * The service as production starts it, in a child process of its own (service-process.ts, with
 * `--expose-gc`), so that its memory and CPU are its own and not the load generator's.
 */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const child = fork(fileURLToPath(new URL('./service-process.ts', import.meta.url)), {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, BENCH_SERVICE_ENV: JSON.stringify(env) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { type: string } & T) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code: number | null) => reject(new Error(`service process exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { address } = await next<{ address: string }>('ready');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    address,
    pid: child.pid!,
    memory: async () => {
      const answer = next<{ memory: ProcessMemory }>('memory');
      child.send({ type: 'memory' });
      return (await answer).memory;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      child.send({ type: 'stop' });
      await exited;
    },
  };
}

export interface LoadRequest {
  body: string;
  headers: Record<string, string>;
}

export interface LoadResult {
  /** from the first request out to the last answer in */
  seconds: number;
  /** per request, ms: answer in minus send (closed loop) or minus its scheduled time (open loop) */
  latencies: number[];
  /** answers by HTTP status code; 'error' for a request that got none */
  codes: Record<string, number>;
}

/**
 * Posts `requests` to `url` from a thread of its own (so the load does not share the event loop of a service
 * started in this process), over `connections` keep-alive connections (undici). Closed loop without `rate`:
 * each connection sends its next request once the last is answered. Open loop with `rate` (requests per
 * second): request i is due at i / rate whatever came back, and its latency counts from then, so a slow
 * server shows as queueing instead of a lower rate (no coordinated omission).
 */
export async function runLoad(opts: {
  url: string;
  requests: LoadRequest[];
  connections: number;
  rate?: number;
  /** per request, seconds from the start it is due (open loop); overrides `rate` */
  schedule?: number[];
}): Promise<LoadResult> {
  const source = `
const { parentPort, workerData } = require('node:worker_threads');
const { Pool } = require(workerData.undici);
const { url, requests, connections, schedule } = workerData;
const target = new URL(url);
const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 60000 });
const latencies = new Array(requests.length);
const codes = {};
const note = (code) => { codes[code] = (codes[code] ?? 0) + 1; };
async function one(i, from) {
  const r = requests[i];
  try {
    const res = await pool.request({ path: target.pathname, method: 'POST', headers: r.headers, body: r.body });
    await res.body.dump();
    note(res.statusCode);
  } catch (err) {
    note('error');
  }
  latencies[i] = performance.now() - from;
}
async function main() {
  const started = performance.now();
  if (!schedule) {
    let next = 0;
    await Promise.all(Array.from({ length: connections }, async () => {
      while (next < requests.length) { const i = next++; await one(i, performance.now()); }
    }));
  } else {
    const inFlight = [];
    for (let i = 0; i < requests.length; i++) {
      const due = started + schedule[i] * 1000;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(one(i, due));
    }
    await Promise.all(inFlight);
  }
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  parentPort.postMessage({ seconds, latencies, codes });
}
main();
`;
  const { createRequire } = await import('node:module');
  const undici = createRequire(import.meta.url).resolve('undici');
  const schedule = opts.schedule ?? (opts.rate ? opts.requests.map((_, i) => i / opts.rate!) : undefined);
  const worker = new Worker(source, {
    eval: true,
    workerData: { undici, url: opts.url, requests: opts.requests, connections: opts.connections, schedule },
  });
  return new Promise<LoadResult>((resolve, reject) => {
    worker.once('message', (m: LoadResult) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/**
 * Runs `work` under the V8 CPU profiler of this thread when `--profile <file>` is on the command line, and
 * writes the profile (open it in Chrome DevTools or speedscope); without the flag it only runs `work`. Only
 * the phase under test is in the profile, not the seeding before it.
 */
export async function profiled<T>(work: () => Promise<T>): Promise<T> {
  const i = process.argv.indexOf('--profile');
  if (i < 0) return work();
  const file = process.argv[i + 1] ?? 'bench.cpuprofile';
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`  CPU profile of the phase: ${file}`);
  }
}
export interface FixedRateResult {
  /** ms from each request's dispatch to the end of its answer (NaN: no answer) */
  latencies: number[];
  /** each request's HTTP status (0: a network error or no answer) */
  statuses: number[];
  /** requests dispatched per second, as achieved (the generator may fall behind on a busy machine) */
  achievedRate: number;
}

/**
 * An open-loop load generator on a thread of its own: dispatches `requests` (POST, in order) to `url` at
 * a fixed `rate` per second whatever the answers take, over a keep-alive pool of `connections`, so a slow
 * server meets the same arrivals as a fast one (not a closed loop that waits for each answer).
 */
export async function runFixedRate(opts: {
  url: string;
  requests: { body: string; headers: Record<string, string> }[];
  rate: number;
  connections?: number;
}): Promise<FixedRateResult> {
  const source = `
const { parentPort, workerData } = require('node:worker_threads');
const { Pool } = require('undici');
const { origin, path, requests, rate, connections } = workerData;
const pool = new Pool(origin, { connections, pipelining: 1, headersTimeout: 30000, bodyTimeout: 30000 });
const n = requests.length;
const latencies = new Array(n).fill(Number.NaN);
const statuses = new Array(n).fill(0);
const interval = 1000 / rate;
let sent = 0; let done = 0; let lastDispatch = 0;
const start = performance.now();
const finish = () => {
  const seconds = Math.max(lastDispatch - start, interval) / 1000;
  parentPort.postMessage({ latencies, statuses, achievedRate: Math.max(n - 1, 1) / seconds });
  pool.destroy().then(() => process.exit(0));
};
function one(i) {
  const r = requests[i];
  const t0 = performance.now();
  lastDispatch = t0;
  pool.request({ method: 'POST', path, headers: r.headers, body: r.body })
    .then(async (res) => { await res.body.dump(); statuses[i] = res.statusCode; })
    .catch(() => {})
    .finally(() => { latencies[i] = performance.now() - t0; if (++done === n) finish(); });
}
function tick() {
  const due = Math.min(n, Math.floor((performance.now() - start) / interval) + 1);
  while (sent < due) one(sent++);
  if (sent < n) setTimeout(tick, 1);
}
tick();
`;
  const url = new URL(opts.url);
  const worker = new Worker(source, {
    eval: true,
    workerData: {
      origin: url.origin,
      path: url.pathname + url.search,
      requests: opts.requests,
      rate: opts.rate,
      connections: opts.connections ?? 128,
    },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}
