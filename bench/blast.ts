// npm run bench:blast [-- --size 20000]
//
// A reminder blast end to end against real PostgreSQL and Redis and a local fake Cloud API: the audience
// query, recipient rows, template rendering, the outbound queue and sender, HTTP, and the wamid stored.
// Baseline, in the same run: a bare keep-alive HTTP client posting the same bodies to the same fake with
// the same concurrency. Prints both rates and their ratio.
import http from 'node:http';
import { cpus } from 'node:os';
import { and, eq, sql } from 'drizzle-orm';
import { defaultSendConcurrency } from '../src/config.js';
import { messages } from '../src/db/index.js';
import {
  BENCH_PHONE_NUMBER_ID,
  cpuMeter,
  describeCost,
  machineLine,
  numberArg,
  seedBills,
  seedParticipants,
  servers,
  startBenchRun,
} from './support.js';

const size = numberArg('size', 20_000);
// both sides keep as many requests in flight
const concurrency = numberArg('concurrency', defaultSendConcurrency(1000));
const { databaseUrl, redisUrl } = servers('blast');

const run = await startBenchRun({
  databaseUrl,
  redisUrl,
  extra: {
    WHATSAPP_SEND_CONCURRENCY: String(concurrency),
    DATABASE_POOL_SIZE: String(numberArg('pool', 10)),
  },
});
const { fake, database, adminKey, service } = run;
const db = service.database.db;
const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };

try {
  console.log(`seeding ${size} participants and bills …`);
  const people = await seedParticipants(db, size);
  await seedBills(db, people);

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
  const databaseBytes = async () =>
    Number(
      (
        (await db.execute(sql`select pg_database_size(current_database()) as n`)) as unknown as {
          n: string;
        }[]
      )[0]!.n,
    );
  const bytesBefore = await databaseBytes();
  const meter = await cpuMeter({ databaseUrl: database.url, redisUrl });
  const started = performance.now();
  const startedAt = performance.timeOrigin + started;
  const start = await fetch(`${service.address}/api/campaigns/${campaign.id}/start`, {
    method: 'POST',
    headers: { authorization: headers.authorization },
  });
  if (start.status !== 202) throw new Error(`start answered ${start.status}: ${await start.text()}`);
  let done = 0;
  let lastPrint = started;
  let lastDone = 0;
  let lastProgress = started;
  while (done < size) {
    await new Promise((r) => setTimeout(r, 200));
    // Progress from the fake's count while it is short of the size (a count(*) of messages every
    // 200 ms would cost PostgreSQL more and more as the table grows, and be charged to the service);
    // the database has the last word once every request has arrived.
    const arrived = (await fake.stats()).count;
    done = arrived < size ? arrived : await accepted();
    if (done > lastDone) {
      lastDone = done;
      lastProgress = performance.now();
    }
    if (performance.now() - lastPrint > 5000) {
      lastPrint = performance.now();
      console.log(`  ${done} / ${size} sent`);
    }
    if (performance.now() - lastProgress > 15_000) {
      // A stall says where the rest are, so a stuck run explains itself.
      const where =
        await db.execute(sql`select 'message ' || status as s, count(*)::int as n from messages group by 1
        union all select 'recipient ' || status, count(*)::int from campaign_recipients group by 1`);
      console.log('  no progress for 15 s:', JSON.stringify(where));
      lastProgress = performance.now();
    }
    if (performance.now() - started > 30 * 60_000) throw new Error('blast did not finish in 30 minutes');
  }
  const tagihSeconds = (performance.now() - started) / 1000;
  const { first } = await fake.stats();
  const firstSendMs = first === null ? Number.NaN : first - startedAt;
  const cost = await meter.read();
  await meter.close();
  const bytesPerMessage = ((await databaseBytes()) - bytesBefore) / size;
  const { count, bodies } = await fake.stats();
  const duplicates = count - size;

  // Baselines: the same body, the same number in flight, a bare keep-alive client and nothing else. Two
  // clients: fetch (the baseline of the earlier figures) and node:http with a keep-alive agent (the client
  // the service itself uses since this issue, and the stricter baseline: about five times cheaper a request).
  const sample = bodies[0]!;
  const url = `${fake.url}/v23.0/${BENCH_PHONE_NUMBER_ID}/messages`;
  const cloudHeaders = { authorization: 'Bearer bench', 'content-type': 'application/json' };
  const agent = new http.Agent({ keepAlive: true });
  const viaFetch = async () => {
    const res = await fetch(url, { method: 'POST', headers: cloudHeaders, body: sample });
    await res.json();
  };
  const viaHttp = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { ...cloudHeaders, 'content-length': Buffer.byteLength(sample) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end(sample);
    });
  const baseline = async (post: () => Promise<void>) => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < size) {
          next++;
          await post();
        }
      }),
    );
    return size / ((performance.now() - t0) / 1000);
  };
  const fetchRate = await baseline(viaFetch);
  const httpRate = await baseline(viaHttp);
  agent.destroy();

  const tagihRate = size / tagihSeconds;
  const cores = cpus().length;
  console.log('');
  console.log(`blast of ${size} recipients, concurrency ${concurrency}; ${machineLine()}`);
  console.log(
    `  tagih:    ${tagihRate.toFixed(0)} messages/s (${tagihSeconds.toFixed(1)} s), ${(tagihRate / cores).toFixed(0)} per core`,
  );
  console.log(
    `  baseline: ${fetchRate.toFixed(0)} messages/s with fetch, ${httpRate.toFixed(0)} with node:http`,
  );
  console.log(
    `  ratio:    ${(tagihRate / fetchRate).toFixed(2)} of fetch, ${(tagihRate / httpRate).toFixed(2)} of node:http (target ≥ 0.5)`,
  );
  console.log(
    `  first send: ${firstSendMs.toFixed(0)} ms after /start (participants and bills imported just before)`,
  );
  console.log(`  requests to the fake beyond one per recipient: ${duplicates}`);
  console.log(`  cost:     ${describeCost(cost, size)}`);
  console.log(
    `  storage:  ${bytesPerMessage.toFixed(0)} bytes of database a message (rows, indexes, recipient row; before statuses)`,
  );
} finally {
  await run.stop();
}
