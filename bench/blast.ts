// npm run bench:blast [-- --size 20000]
//
// A reminder blast end to end against real PostgreSQL and Redis and a local fake Cloud API: the audience
// query, recipient rows, template rendering, the outbound queue and sender, HTTP, and the wamid stored.
// Baseline, in the same run: a bare keep-alive HTTP client posting the same bodies to the same fake with
// the same concurrency. Prints both rates and their ratio.
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { and, eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { loadConfig } from '../src/config.js';
import { messages } from '../src/db/index.js';
import { generateSeed } from '../src/demo/seed.js';
import { importBills, importParticipants } from '../src/participants/index.js';
import { startService } from '../src/service.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const size = arg('size', 20_000);
// both sides keep as many requests in flight
const concurrency = arg('concurrency', 16);

const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL;
if (!databaseUrl || !redisUrl) {
  console.error('bench:blast needs TEST_DATABASE_URL and TEST_REDIS_URL (real PostgreSQL and Redis)');
  process.exit(1);
}

// The fake Cloud API runs on its own thread (the second core), as the real one runs elsewhere.
const fakeSource = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
let n = 0, bodies = [];
const server = createServer({ keepAliveTimeout: 60000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (bodies.length < 5 && req.url.endsWith('/messages')) bodies.push(Buffer.concat(chunks).toString());
    n++;
    res.setHeader('content-type', 'application/json');
    res.end('{"messaging_product":"whatsapp","messages":[{"id":"wamid.B' + n + '"}]}');
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => { if (m === 'count') parentPort.postMessage({ count: n, bodies }); if (m === 'stop') server.close(() => process.exit(0)); });
`;
const fake = new Worker(fakeSource, { eval: true });
const port = await new Promise<number>((resolve) =>
  fake.once('message', (m: { port: number }) => resolve(m.port)),
);
const fakeStats = () =>
  new Promise<{ count: number; bodies: string[] }>((resolve) => {
    fake.once('message', resolve);
    fake.postMessage('count');
  });
const apiUrl = `http://127.0.0.1:${port}`;

const name = `tagih_bench_${randomBytes(4).toString('hex')}`;
const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const benchUrl = new URL(databaseUrl);
benchUrl.pathname = `/${name}`;

const adminKey = `bench-admin-${randomBytes(12).toString('hex')}`;
const service = await startService(
  loadConfig({
    DATABASE_URL: benchUrl.toString(),
    REDIS_URL: redisUrl,
    DATA_KEY: 'b'.repeat(40),
    ADMIN_API_KEY: adminKey,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    WHATSAPP_API_URL: apiUrl,
    WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
    WHATSAPP_ACCESS_TOKEN: 'bench',
    WHATSAPP_APP_SECRET: 'bench-secret',
    WHATSAPP_VERIFY_TOKEN: 'bench',
    WHATSAPP_MPS: '1000',
    WHATSAPP_SEND_CONCURRENCY: String(concurrency),
    DATABASE_POOL_SIZE: String(arg('pool', 10)),
    QUIET_HOURS: '',
    API_RATE_PER_MINUTE: '100000',
  }),
);
const db = service.database.db;
const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };

try {
  console.log(`seeding ${size} participants and bills …`);
  // the demo's generator: realistic names and phone forms, so bodies have their real size
  const people = generateSeed({ size, seed: 1, today: new Date().toISOString().slice(0, 10) }).participants;
  for (let i = 0; i < size; i += 10_000) {
    await importParticipants(db, people.slice(i, i + 10_000), {
      dataKey: 'b'.repeat(40),
      actor: 'bench',
      source: 'json',
    });
  }
  const bills = people.map((p, i) => ({
    kpj: p.kpj,
    period: '2026-11',
    amount: 36_800,
    dueDate: '2026-11-15',
    paymentCode: `PC${i}`,
  }));
  for (let i = 0; i < size; i += 10_000) {
    await importBills(db, bills.slice(i, i + 10_000), { actor: 'bench', source: 'json' });
  }

  const created = await fetch(`${service.address}/api/campaigns`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      name: 'bench blast',
      template: { name: 'iuran_reminder', language: 'id' },
      audience: {},
    }),
  });
  const campaign = (await created.json()) as { id: number; audienceSize: number };
  if (campaign.audienceSize !== size) throw new Error(`audience ${campaign.audienceSize}, expected ${size}`);

  const accepted = async () =>
    (
      await db
        .select({ n: sql<number>`count(*)::int` })
        .from(messages)
        .where(and(eq(messages.direction, 'out'), eq(messages.status, 'accepted')))
    )[0]!.n;
  const started = performance.now();
  const start = await fetch(`${service.address}/api/campaigns/${campaign.id}/start`, {
    method: 'POST',
    headers: { authorization: headers.authorization },
  });
  if (start.status !== 202) throw new Error(`start answered ${start.status}: ${await start.text()}`);
  let done = 0;
  let lastPrint = started;
  while (done < size) {
    await new Promise((r) => setTimeout(r, 200));
    done = await accepted();
    if (performance.now() - lastPrint > 5000) {
      lastPrint = performance.now();
      console.log(`  ${done} / ${size} sent`);
    }
    if (performance.now() - started > 30 * 60_000) throw new Error('blast did not finish in 30 minutes');
  }
  const tagihSeconds = (performance.now() - started) / 1000;
  const { count, bodies } = await fakeStats();
  const duplicates = count - size;

  // Baseline: the same bodies, the same concurrency, a bare keep-alive client, nothing else.
  const sample = bodies[0]!;
  const url = `${apiUrl}/v23.0/106540352242922/messages`;
  let next = 0;
  const baselineStarted = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < size) {
        next++;
        const res = await fetch(url, {
          method: 'POST',
          headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
          body: sample,
        });
        await res.json();
      }
    }),
  );
  const baselineSeconds = (performance.now() - baselineStarted) / 1000;

  const tagihRate = size / tagihSeconds;
  const baselineRate = size / baselineSeconds;
  const cores = cpus().length;
  console.log('');
  console.log(`blast of ${size} recipients, ${cores} cores, concurrency ${concurrency}`);
  console.log(
    `  tagih:    ${tagihRate.toFixed(0)} messages/s (${tagihSeconds.toFixed(1)} s), ${(tagihRate / cores).toFixed(0)} per core`,
  );
  console.log(
    `  baseline: ${baselineRate.toFixed(0)} messages/s (${baselineSeconds.toFixed(1)} s), bare keep-alive client`,
  );
  console.log(`  ratio:    ${(tagihRate / baselineRate).toFixed(2)} (target ≥ 0.5)`);
  console.log(`  requests to the fake beyond one per recipient: ${duplicates}`);
} finally {
  await service.stop();
  fake.postMessage('stop');
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
