// npm run bench:statuses [-- --size 20000 --connections 16,64 --rate 3000 --blast-rate 1000]
//
// A blast's worth of status webhooks (sent, delivered and read for every message, batched as the Cloud API
// batches them) into the real service on real PostgreSQL and Redis. Two blasts of `--size` reminders each
// are laid down as the sender leaves them (messages 'accepted' with a wamid, each naming its
// campaign_recipients row as its origin, campaign completed), one blast for each of `--connections` and one more. Each of the first go in as fast
// as the service answers with that many requests in flight, the last at a fixed `--rate` of statuses per
// second (3× a blast at the Cloud API's top 1,000 mps by default) for latency. Baseline, in the same run and with the same bodies and load: a bare
// Fastify route that only checks the HMAC. Afterwards every message must be 'read', each (wamid, status)
// stored once, nothing lost.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import { dedupeKeyFor } from '../src/campaigns/usecases/send.js';
import { campaignRecipients, campaigns, messages, queryRows as query } from '../src/db/index.js';
import { callbackDataFor } from '../src/messages/index.js';
import { importBills } from '../src/participants/index.js';
import { verifySignature, withCallbackData } from '../src/whatsapp/index.js';
import { findTemplate, renderTemplate } from '../templates/index.js';
import { type JsonObject, type StatusSpec, signedRequest, statusWebhook } from '../test/support/webhooks.js';
import {
  BENCH_APP_SECRET,
  type LoadRequest,
  type LoadResult,
  machineLine,
  numberArg,
  numbersArg,
  percentile,
  profiled,
  runLoad,
  seedParticipants,
  servers,
  startBenchRun,
} from './support.js';

const size = numberArg('size', 20_000);
const connectionCounts = numbersArg('connections', [16, 64]);
const rate = numberArg('rate', 3000);
const rateConnections = numberArg('rate-connections', 64);
const blastRate = numberArg('blast-rate', 1000);
// the share of webhooks the Cloud API delivers a second time (it retries one not answered 200, for days)
const redeliveries = numberArg('redeliveries', 0.01);
const { databaseUrl, redisUrl } = servers('statuses');

/** Deterministic, so two runs post the same stream. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * How many statuses one webhook carries. Meta publishes no distribution; "Additional status objects would
 * follow, if aggregated" and batches grow under volume. Our mix: half the webhooks carry one status, 30%
 * two to four, 20% five to ten (about 2.9 a webhook on average).
 */
function batchSize(rnd: () => number): number {
  const r = rnd();
  if (r < 0.5) return 1;
  if (r < 0.8) return 2 + Math.floor(rnd() * 3);
  return 5 + Math.floor(rnd() * 6);
}

interface Sent {
  wamid: string;
  waId: string;
  messageId: number;
}

interface Stream {
  requests: LoadRequest[];
  /** statuses in each request, for the open-loop schedule */
  counts: number[];
  /** unique statuses (3 a message) */
  statuses: number;
}

/**
 * Sent, delivered and read for every message, in the order they happen: the blast leaves at `blastRate`,
 * sent follows in 0.2–2 s, delivered 0.5–5 s later, read after an exponential wait (mean 60 s). Consecutive
 * statuses are cut into webhooks by `batchSize`; a share of them comes again later.
 */
function statusStream(sent: Sent[], seed: number): Stream {
  const rnd = random(seed);
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  const events: { at: number; spec: StatusSpec; messageId: number }[] = [];
  sent.forEach((m, i) => {
    const sentAt = i / blastRate + 0.2 + rnd() * 1.8;
    const deliveredAt = sentAt + 0.5 + rnd() * 4.5;
    const readAt = deliveredAt + -Math.log(1 - rnd()) * 60;
    const pricing = { category: 'utility', type: 'regular', billable: true };
    const base = { wamid: m.wamid, recipient: m.waId, bizOpaqueCallbackData: callbackDataFor(m.messageId) };
    events.push({ at: sentAt, messageId: m.messageId, spec: { ...base, status: 'sent', pricing } });
    events.push({ at: deliveredAt, messageId: m.messageId, spec: { ...base, status: 'delivered', pricing } });
    events.push({ at: readAt, messageId: m.messageId, spec: { ...base, status: 'read' } });
  });
  events.sort((a, b) => a.at - b.at);
  const bodies: { payload: unknown; count: number }[] = [];
  for (let i = 0; i < events.length; ) {
    const batch = events.slice(i, i + batchSize(rnd));
    i += batch.length;
    const payload = statusWebhook(batch.map((e) => ({ ...e.spec, timestamp: t0 + Math.floor(e.at) })));
    // v23 still sends `conversation` with sent and with delivered; the test builder has none
    const items = (payload.entry[0]!.changes[0]!.value.statuses as JsonObject[]) ?? [];
    items.forEach((item, k) => {
      const e = batch[k]!;
      if (e.spec.status === 'read') return;
      const conversation: JsonObject = {
        id: randomBytes(16).toString('hex'),
        origin: { type: 'utility' },
      };
      if (e.spec.status === 'sent')
        conversation.expiration_timestamp = String(t0 + Math.floor(e.at) + 86_400);
      item.conversation = conversation;
    });
    bodies.push({ payload, count: batch.length });
  }
  // redeliveries: a copy of an earlier webhook, some seconds' worth of webhooks later
  const withRepeats = [...bodies];
  const repeats = Math.round(bodies.length * redeliveries);
  for (let r = 0; r < repeats; r++) {
    const from = Math.floor(rnd() * bodies.length);
    const to = Math.min(withRepeats.length, from + 100 + Math.floor(rnd() * 2000));
    withRepeats.splice(to, 0, bodies[from]!);
  }
  const requests = withRepeats.map(({ payload }) => {
    const { body, headers } = signedRequest(payload, BENCH_APP_SECRET);
    return { body, headers: { ...headers } };
  });
  return { requests, counts: withRepeats.map((b) => b.count), statuses: events.length };
}

/** request i of an open-loop run is due when the statuses before it have had their time at `rate` */
function scheduleFor(counts: number[]): number[] {
  let before = 0;
  return counts.map((n) => {
    const at = before / rate;
    before += n;
    return at;
  });
}

const run = await startBenchRun({
  databaseUrl,
  redisUrl,
  extra: { DATABASE_POOL_SIZE: String(numberArg('pool', 10)) },
});
const { service } = run;
const db = service.database.db;
const webhookUrl = `${service.address}/webhooks/whatsapp`;

let stopped = false;
let baseline: Awaited<ReturnType<typeof startBaseline>> | undefined;
try {
  const blastCount = connectionCounts.length + 1;
  console.log(
    `seeding ${size} participants with ${blastCount} bills each, and ${blastCount} blasts as the sender leaves them …`,
  );
  const people = await seedParticipants(db, size);
  const periods = Array.from(
    { length: blastCount },
    (_, i) => `2026-${String(12 - blastCount + i).padStart(2, '0')}`,
  );
  for (const [p, period] of periods.entries()) {
    const bills = people.map((person, i) => ({
      kpj: person.kpj,
      period,
      amount: 36_800,
      dueDate: `${period}-15`,
      paymentCode: `PC${p}-${i}`,
    }));
    for (let i = 0; i < size; i += 10_000) {
      await importBills(db, bills.slice(i, i + 10_000), { actor: 'bench', source: 'json' });
    }
  }

  const def = findTemplate('iuran_reminder')!;
  const today = new Date().toISOString().slice(0, 10);
  const blasts: Sent[][] = [];
  for (const period of periods) {
    const [campaign] = await db
      .insert(campaigns)
      .values({
        name: `bench blast ${period}`,
        templateName: def.name,
        templateLanguage: 'id',
        templateCategory: def.category,
        audience: { periods: [period] },
        status: 'completed',
        startedAt: new Date(),
        recipientsReadyAt: new Date(),
        completedAt: new Date(),
      })
      .returning({ id: campaigns.id });
    const rows = await query<{
      participant_id: number;
      name: string;
      language: 'id' | 'en' | 'jv';
      wa_id: string;
      bill_id: number;
      due_date: string;
    }>(
      db,
      sql`select p.id as participant_id, p.name, p.language, p.wa_id, b.id as bill_id,
        to_char(b.due_date, 'YYYY-MM-DD') as due_date
      from participants p join bills b on b.participant_id = p.id and b.period = ${period}
      order by p.id`,
    );
    const list = [...rows];
    if (list.length !== size) throw new Error(`${list.length} recipients for ${period}, expected ${size}`);
    const sent: Sent[] = [];
    for (let k = 0; k < list.length; k += 1000) {
      const page = list.slice(k, k + 1000);
      const recipients = await db
        .insert(campaignRecipients)
        .values(
          page.map((r) => ({
            campaignId: campaign!.id,
            participantId: r.participant_id,
            billId: r.bill_id,
            status: 'queued' as const,
            queuedAt: new Date(),
            settledAt: new Date(),
          })),
        )
        .returning({ id: campaignRecipients.id });
      const ids = (
        await query<{ id: string }>(
          db,
          sql`select nextval(pg_get_serial_sequence('messages', 'id')) as id from generate_series(1, ${page.length})`,
        )
      ).map((r) => Number(r.id));
      const values = page.map((r, n) => {
        const bill = { period, dueDate: r.due_date, outstanding: 36_800 };
        const ctx = { participant: { name: r.name, language: r.language }, bill, unpaid: [bill], today };
        const body = renderTemplate(def, r.wa_id, ctx, r.language === 'en' ? 'en' : 'id');
        const wamid = `wamid.HBgN${randomBytes(24).toString('base64url')}`;
        sent.push({ wamid, waId: r.wa_id, messageId: ids[n]! });
        return {
          id: ids[n]!,
          direction: 'out' as const,
          contactKey: r.wa_id,
          participantId: r.participant_id,
          wamid,
          type: 'template',
          templateName: def.name,
          payload: withCallbackData(body, callbackDataFor(ids[n]!)),
          status: 'accepted' as const,
          priority: 'blast' as const,
          attempts: 1,
          dedupeKey: dedupeKeyFor(recipients[n]!.id, 0),
          originKind: 'campaign' as const,
          campaignRecipientId: recipients[n]!.id,
          campaignAttempt: 0,
        };
      });
      await db.insert(messages).values(values);
    }
    blasts.push(sent);
  }
  await db.execute(sql`analyze`);

  const fastRuns = connectionCounts.map((connections, i) => ({
    connections,
    stream: statusStream(blasts[i]!, i + 1),
  }));
  const fast = fastRuns[0]!.stream;
  const paced = statusStream(blasts[connectionCounts.length]!, blastCount);
  const pacedSchedule = scheduleFor(paced.counts);
  const mean = (s: Stream) => (s.counts.reduce((a, b) => a + b, 0) / s.counts.length).toFixed(2);
  console.log(
    `  ${fast.requests.length} webhooks for ${fast.statuses} statuses (${mean(fast)} a webhook, ${redeliveries * 100}% delivered twice) per blast`,
  );

  const tagihFast: LoadResult[] = [];
  for (const { connections, stream } of fastRuns) {
    console.log(`tagih, as fast as answered (${connections} in flight) …`);
    tagihFast.push(
      await profiled(() => runLoad({ url: webhookUrl, requests: stream.requests, connections })),
    );
  }
  console.log(`tagih, at ${rate} statuses/s (open loop, up to ${rateConnections} connections) …`);
  const tagihPaced = await runLoad({
    url: webhookUrl,
    requests: paced.requests,
    connections: rateConnections,
    schedule: pacedSchedule,
  });

  // Verify before anything else runs: every message read, every status once, nothing lost.
  const [check] = await query<{
    messages: number;
    read: number;
    complete: number;
    priced: number;
    history3: number;
    statuses: number;
    distinct_statuses: number;
    orphans: number;
  }>(
    db,
    sql`select
      (select count(*)::int from messages where direction = 'out') as messages,
      (select count(*)::int from messages where direction = 'out' and status = 'read') as read,
      (select count(*)::int from messages where direction = 'out'
         and sent_at is not null and delivered_at is not null and read_at is not null) as complete,
      (select count(*)::int from messages where direction = 'out'
         and pricing_category = 'utility' and pricing_type = 'regular') as priced,
      (select count(*)::int from messages where direction = 'out'
         and jsonb_array_length(status_history) = 3) as history3,
      (select count(*)::int from message_statuses) as statuses,
      (select count(*)::int from (select distinct wamid, status from message_statuses) d) as distinct_statuses,
      (select count(*)::int from message_statuses ms
         where not exists (select 1 from messages m where m.wamid = ms.wamid)) as orphans`,
  );
  const paused = await query<{ n: number }>(
    db,
    sql`select count(*)::int as n from campaigns where status <> 'completed'`,
  );

  await service.stop();
  stopped = true;

  baseline = await startBaseline();
  console.log('baseline (bare Fastify route, HMAC only), same bodies, same load …');
  const baseFast: LoadResult[] = [];
  for (const { connections, stream } of fastRuns) {
    baseFast.push(await runLoad({ url: baseline.url, requests: stream.requests, connections }));
  }
  const basePaced = await runLoad({
    url: baseline.url,
    requests: paced.requests,
    connections: rateConnections,
    schedule: pacedSchedule,
  });

  const perSecond = (s: Stream, r: LoadResult) => s.statuses / r.seconds;
  const not200 = (r: LoadResult) =>
    Object.entries(r.codes)
      .filter(([code]) => code !== '200')
      .map(([code, n]) => `${n}×${code}`)
      .join(', ') || 'none';
  const lat = (r: LoadResult) => {
    const over1s = r.latencies.filter((l) => l > 1000).length / r.latencies.length;
    return `p50 ${percentile(r.latencies, 50).toFixed(1)} ms, p99 ${percentile(r.latencies, 99).toFixed(1)} ms, max ${percentile(r.latencies, 100).toFixed(0)} ms, over 1 s ${(over1s * 100).toFixed(2)}%`;
  };
  const expected = blastCount * size;
  console.log('');
  console.log(`statuses of ${blastCount} blasts of ${size}; ${machineLine()}`);
  fastRuns.forEach(({ connections, stream }, i) => {
    const t = tagihFast[i]!;
    const b = baseFast[i]!;
    const tagihRate = perSecond(stream, t);
    const baseRate = perSecond(stream, b);
    console.log(
      `  tagih, ${connections} in flight:    ${tagihRate.toFixed(0)} statuses/s (${(stream.requests.length / t.seconds).toFixed(0)} webhooks/s, ${t.seconds.toFixed(1)} s); ${lat(t)}; not 200: ${not200(t)}`,
    );
    console.log(
      `  baseline, ${connections} in flight: ${baseRate.toFixed(0)} statuses/s (${(stream.requests.length / b.seconds).toFixed(0)} webhooks/s, ${b.seconds.toFixed(1)} s); ${lat(b)}`,
    );
    console.log(
      `    ratio tagih ÷ baseline ${(tagihRate / baseRate).toFixed(2)}; statuses/s ÷ (3 × ${blastRate} msg/s blast) ${(tagihRate / (3 * blastRate)).toFixed(2)} (target ≥ 1)`,
    );
  });
  console.log(
    `  tagih at ${rate} statuses/s:    ${lat(tagihPaced)}; took ${tagihPaced.seconds.toFixed(1)} s for ${(paced.statuses / rate).toFixed(1)} s of schedule; not 200: ${not200(tagihPaced)} (advice: p50 < 200–250 ms, < 1% over 1 s)`,
  );
  console.log(`  baseline at ${rate} statuses/s: ${lat(basePaced)}`);
  const ok =
    check!.messages === expected &&
    check!.read === expected &&
    check!.complete === expected &&
    check!.priced === expected &&
    check!.history3 === expected &&
    check!.statuses === 3 * expected &&
    check!.distinct_statuses === 3 * expected &&
    check!.orphans === 0;
  console.log(
    `  verify: ${check!.read}/${expected} read, ${check!.complete} with sent/delivered/read times, ${check!.priced} priced, ${check!.history3} with 3 history entries; message_statuses ${check!.statuses} rows (${check!.distinct_statuses} distinct, expected ${3 * expected}), ${check!.orphans} orphans; campaigns paused: ${paused[0]!.n} → ${ok ? 'OK' : 'FAILED'}`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  if (!stopped) await service.stop();
  await baseline?.close();
  await run.stop();
}

/** The least a webhook receiver does: keep the raw bytes, check the HMAC, answer 200. */
async function startBaseline() {
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) =>
    done(null, body),
  );
  app.post('/webhooks/whatsapp', async (request, reply) => {
    const signature = request.headers['x-hub-signature-256'];
    if (
      !verifySignature(
        request.body as Buffer,
        typeof signature === 'string' ? signature : undefined,
        BENCH_APP_SECRET,
      )
    ) {
      return reply.code(401).send({ error: 'Unauthorized' });
    }
    return reply.code(200).send({ ok: true });
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${address}/webhooks/whatsapp`, close: () => app.close() };
}
