// npm run bench:memory [-- --size 100000] [--state bill|menu] [--concurrency 32]
//
// What an active conversation costs: Redis bytes per participant mid-flow, and the service process's
// resident memory with `--size` of them, against the same process started and idle (the baseline).
//
// `--size` seeded participants (the demo's generator) each send one message as a signed webhook over HTTP
// to the service, which runs as production runs it in a child process of its own: the real webhook route,
// the engine, the state store and the reply through the outbound queue to a local fake Cloud API.
//   --state bill: each taps the reminder's "Cek tagihan" button (payload BILL); the bill flow asks for the
//                 birth date and waits (state askBirthDate). Only BPU participants are taken: PU ones are
//                 told their employer pays and the flow ends with nothing stored.
//   --state menu: each types "MENU"; the menu flow shows its list and waits for a row.
// All Redis keys are under a prefix of this run's own (REDIS_PREFIX) and deleted at the end.

import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { messages, openDatabase } from '../src/db/index.js';
import { generateSeed } from '../src/demo/seed.js';
import { importParticipants, normalisePhone } from '../src/participants/index.js';
import { signBody } from '../src/whatsapp/index.js';
import {
  BENCH_APP_SECRET,
  BENCH_DATA_KEY,
  BENCH_PHONE_NUMBER_ID,
  benchEnv,
  benchRedisPrefix,
  clearRedisPrefix,
  createBenchDatabase,
  machineLine,
  newAdminKey,
  numberArg,
  type ServiceProcess,
  scanPrefix,
  servers,
  startFakeCloudApi,
  startServiceProcess,
} from './support.js';

const size = numberArg('size', 100_000);
const concurrency = numberArg('concurrency', 32);
const stateArg = process.argv.indexOf('--state');
const state = stateArg < 0 ? 'bill' : process.argv[stateArg + 1];
if (state !== 'bill' && state !== 'menu') throw new Error('--state is bill or menu');
// keys of one kind whose MEMORY USAGE is read (all of them up to this many, then extrapolated)
const SAMPLE = 2000;
const { databaseUrl, redisUrl } = servers('memory');

const MiB = 2 ** 20;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

const fake = await startFakeCloudApi();
const database = await createBenchDatabase(databaseUrl);
const prefix = benchRedisPrefix();
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
let service: ServiceProcess | null = null;
const own = await openDatabase({
  databaseUrl: database.url,
  dataDir: 'memory://',
  migrate: true,
  poolSize: 4,
});
const db = own.db;

/** used_memory from INFO memory: the whole server's, shared with whoever else uses it. */
async function usedMemory(): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)![1]);
}

/** This run's keys, grouped by their shape (the sender or job id replaced by *), with bytes per group. */
async function redisKeys() {
  const groups = new Map<string, { count: number; sampled: number; bytes: number; ttl: number }>();
  for await (const keys of scanPrefix(redis, prefix)) {
    for (const key of keys) {
      const rest = key.slice(prefix.length + 1);
      const shape = rest
        .replace(/(conv(-lock)?|rl:wa):.*/, '$1:<sender>')
        .replace(/:(msg-)?\d+(:[a-z]+)?$/, ':<job id>$2');
      const g = groups.get(shape) ?? { count: 0, sampled: 0, bytes: 0, ttl: 0 };
      g.count++;
      if (g.sampled < SAMPLE) {
        g.sampled++;
        const [usage, pttl] = (await redis.pipeline().memory('USAGE', key, 'SAMPLES', 0).pttl(key).exec())!;
        g.bytes += Number(usage![1] ?? 0);
        g.ttl = Math.max(g.ttl, Number(pttl![1]));
      }
      groups.set(shape, g);
    }
  }
  return [...groups.entries()]
    .map(([shape, g]) => ({ shape, count: g.count, perKey: g.bytes / g.sampled, ttlMs: g.ttl }))
    .sort((a, b) => b.perKey * b.count - a.perKey * a.count);
}

const count = async (where: ReturnType<typeof and>) =>
  (await db.select({ n: sql<number>`count(*)::int` }).from(messages).where(where))[0]!.n;

try {
  // ---- participants: the demo's generator; for the bill state only BPU ones (see above)
  console.log(`seeding ${size} participants …`);
  const today = new Date().toISOString().slice(0, 10);
  const pool = generateSeed({
    size: state === 'bill' ? Math.ceil(size * 1.6) + 100 : size,
    seed: 1,
    today,
    timeZone: 'Asia/Jakarta',
  }).participants;
  const people = (state === 'bill' ? pool.filter((p) => p.category === 'BPU') : pool).slice(0, size);
  if (people.length < size) throw new Error(`only ${people.length} participants generated`);
  for (let i = 0; i < size; i += 10_000) {
    await importParticipants(db, people.slice(i, i + 10_000), {
      dataKey: BENCH_DATA_KEY,
      timeZone: 'Asia/Jakarta',
      actor: 'bench',
      source: 'json',
    });
  }
  const senders = people.map((p) => {
    const n = normalisePhone(p.phone);
    if (!n.ok) throw new Error(`seed phone ${p.phone}: ${n.reason}`);
    return n.waId;
  });

  // ---- baseline: the service started and idle, the participants in its database, no conversation
  const adminKey = newAdminKey();
  service = await startServiceProcess(
    benchEnv({
      databaseUrl: database.url,
      redisUrl,
      apiUrl: fake.url,
      adminKey,
      extra: { REDIS_PREFIX: prefix },
    }),
  );
  // RSS shrinks for a while after start-up (V8 gives pages back on its own timers): the idle figure is
  // read after the same 61 s quiet as the settled one below, so that both are measured alike
  const startedUp = await service.memory();
  console.log('service idle: waiting 61 s before the baseline …');
  await new Promise((r) => setTimeout(r, 61_000));
  const idle = await service.memory();
  const idleKeys = await redisKeys();
  const usedBefore = await usedMemory();

  // ---- every sender sends one message, a signed webhook as Meta sends it
  const body = (from: string, i: number) => {
    const message =
      state === 'bill'
        ? {
            from,
            id: `wamid.BENCHMEM${i}`,
            timestamp: String(Math.floor(Date.now() / 1000)),
            type: 'button',
            context: { from: '6281100000000', id: `wamid.BENCHREMINDER${i}` },
            button: { payload: 'BILL', text: 'Cek tagihan' },
          }
        : {
            from,
            id: `wamid.BENCHMEM${i}`,
            timestamp: String(Math.floor(Date.now() / 1000)),
            type: 'text',
            text: { body: 'MENU' },
          };
    return JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '6281100000000', phone_number_id: BENCH_PHONE_NUMBER_ID },
                contacts: [{ profile: { name: 'Peserta' }, wa_id: from }],
                messages: [message],
              },
            },
          ],
        },
      ],
    });
  };
  const url = `${service.address}/webhooks/whatsapp`;
  console.log(`${size} senders send ${state === 'bill' ? 'the BILL button' : '"MENU"'} …`);
  const started = performance.now();
  let next = 0;
  let lastPrint = started;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < size) {
        const i = next++;
        const raw = body(senders[i]!, i);
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': signBody(raw, BENCH_APP_SECRET),
          },
          body: raw,
        });
        if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        if (performance.now() - lastPrint > 10_000) {
          lastPrint = performance.now();
          console.log(`  ${i} / ${size} webhooks`);
        }
      }
    }),
  );
  // the engine answers after the 200: wait until every message is handled and every reply sent
  for (;;) {
    const handled = await count(and(eq(messages.direction, 'in'), isNotNull(messages.handledAt)));
    const replied = await count(and(eq(messages.direction, 'out'), isNotNull(messages.wamid)));
    if (handled >= size && replied >= size) break;
    if (performance.now() - lastPrint > 10_000) {
      lastPrint = performance.now();
      console.log(`  ${handled} handled, ${replied} replies sent`);
    }
    if (performance.now() - started > 60 * 60_000) throw new Error('not done in an hour');
    await new Promise((r) => setTimeout(r, 500));
  }
  const seconds = (performance.now() - started) / 1000;
  const replies = (await fake.stats()).count;
  const activeKeys = await redisKeys();
  const usedAfter = await usedMemory();
  const active = await service.memory();

  // the webhook rate-limit keys live one minute; what stays for the conversation's 24 h is the rest
  console.log('waiting for the per-sender rate-limit keys to expire (61 s) …');
  await new Promise((r) => setTimeout(r, 61_000));
  const settledKeys = await redisKeys();
  const usedSettled = await usedMemory();
  const settled = await service.memory();

  // ---- report
  const convKeys = settledKeys.find((k) => k.shape === 'conv:<sender>')?.count ?? 0;
  console.log('');
  console.log(
    `memory with ${size} active conversations (state: ${state === 'bill' ? 'bill, waiting for the birth date' : 'menu, waiting for a row'}); ${machineLine()}`,
  );
  console.log(
    `  driven by ${size} signed webhooks over HTTP in ${seconds.toFixed(0)} s (${(size / seconds).toFixed(0)}/s, ${concurrency} in flight), ${replies} replies to the fake Cloud API`,
  );
  const table = (title: string, keys: typeof activeKeys) => {
    console.log(`  Redis keys under the run's prefix, ${title}:`);
    for (const k of keys)
      console.log(
        `    ${k.shape.padEnd(34)} ${String(k.count).padStart(7)} keys × ${k.perKey.toFixed(0).padStart(5)} B = ${mib(k.perKey * k.count).padStart(10)}  (ttl ${k.ttlMs < 0 ? 'none' : `${(k.ttlMs / 3600_000).toFixed(2)} h`})`,
      );
  };
  table('idle', idleKeys);
  table('right after the messages', activeKeys);
  table('after the rate-limit window', settledKeys);
  const bytesOf = (keys: typeof activeKeys) => keys.reduce((s, k) => s + k.perKey * k.count, 0);
  const idleBytes = bytesOf(idleKeys);
  console.log(
    `  Redis per conversation, MEMORY USAGE: ${((bytesOf(activeKeys) - idleBytes) / size).toFixed(0)} B right after, ${((bytesOf(settledKeys) - idleBytes) / size).toFixed(0)} B after the rate-limit window (${convKeys} conv keys for ${size} senders)`,
  );
  console.log(
    `  Redis per conversation, INFO used_memory difference (the whole shared server): ${((usedAfter - usedBefore) / size).toFixed(0)} B right after, ${((usedSettled - usedBefore) / size).toFixed(0)} B after the window (${mib(usedBefore)} → ${mib(usedAfter)} → ${mib(usedSettled)})`,
  );
  const line = (name: string, f: (m: typeof idle) => number) =>
    console.log(
      `  ${name.padEnd(10)} idle ${mib(f(idle)).padStart(10)}   active ${mib(f(active)).padStart(10)}   settled ${mib(f(settled)).padStart(10)}   ratio ${(f(settled) / f(idle)).toFixed(2)}   per conversation ${((f(settled) - f(idle)) / size).toFixed(0)} B`,
    );
  console.log(`  service process after GC (baseline: the same process started and idle):`);
  line('RSS', (m) => m.rss);
  line('heap used', (m) => m.heapUsed);
  line('external', (m) => m.external);
  console.log(
    `  RSS just after start-up ${mib(startedUp.rss)}; peak RSS during the run ${mib(settled.peakRss)}`,
  );
} finally {
  await service?.stop();
  await fake.stop();
  const deleted = await clearRedisPrefix(redisUrl, prefix);
  console.log(`cleaned up: ${deleted} Redis keys under ${prefix}:, database dropped`);
  await redis.quit();
  await own.close();
  await database.drop();
}
