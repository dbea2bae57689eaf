// npm run bench:inbound [-- --rates 200,500,1000 --seconds 20 --senders 5000]
//
// Inbound webhooks at fixed rates against the service in production mode (real PostgreSQL and Redis, the
// fake Cloud API as the place replies go): the signature check, recording, the 200, then the conversation
// engine and a reply enqueued and sent. Each webhook is one message ("MENU" typed, or the menu button
// tapped) from a registered participant, in Meta's shape and signed as Meta signs, with a wamid of its
// own. Baseline, in the same process and run: a bare Fastify route that only checks the HMAC of the raw
// body, at the same rate with the same requests. After the load, once the engine has caught up, every
// acknowledged wamid must be recorded once, handled, and answered exactly once.
import { randomBytes } from 'node:crypto';
import { and, eq, inArray, isNull, like, sql } from 'drizzle-orm';
import Fastify from 'fastify';
import { CHOICE } from '../flows/index.js';
import { messages, participants } from '../src/db/index.js';
import { generateSeed } from '../src/demo/seed.js';
import { importParticipants } from '../src/participants/index.js';
import { verifySignature } from '../src/whatsapp/index.js';
import { buttonReplyWebhook, randomWamid, signedRequest, textWebhook } from '../test/support/webhooks.js';
import {
  BENCH_APP_SECRET,
  BENCH_DATA_KEY,
  type FixedRateResult,
  machineLine,
  numberArg,
  numbersArg,
  percentile,
  runFixedRate,
  servers,
  startBenchRun,
} from './support.js';

const rates = numbersArg('rates', [200, 500, 1000]);
const seconds = numberArg('seconds', 20);
const senderCount = numberArg('senders', 5000);
const connections = numberArg('connections', 128);
// the engine answers MENU, typed or tapped, with the main menu list: one message
const EXPECTED_REPLIES = 1;
// how long the engine and the sender may take to catch up after each rate's load
const DRAIN_LIMIT_MS = 10 * 60_000;
const { databaseUrl, redisUrl } = servers('inbound');

const run = await startBenchRun({
  databaseUrl,
  redisUrl,
  fake: { countDuplicates: true },
  extra: {
    DATABASE_POOL_SIZE: String(numberArg('pool', 10)),
    WHATSAPP_SEND_CONCURRENCY: String(numberArg('send-concurrency', 16)),
  },
});
const { fake, service } = run;
const db = service.database.db;

// The baseline: what any receiver must do, and nothing more.
const bare = Fastify({ logger: false });
bare.removeAllContentTypeParsers();
bare.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
bare.post('/webhooks/whatsapp', async (request, reply) => {
  const signature = request.headers['x-hub-signature-256'];
  const ok = verifySignature(
    request.body as Buffer,
    typeof signature === 'string' ? signature : undefined,
    BENCH_APP_SECRET,
  );
  return ok ? reply.code(200).send({ ok: true }) : reply.code(401).send({ error: 'Unauthorized' });
});
const bareAddress = await bare.listen({ port: 0, host: '127.0.0.1' });

interface Sender {
  waId: string;
  userId: string;
  name: string;
}

let nextSender = 0;
/** `count` signed webhooks, one message each, senders taken in turn; returns them with their wamids. */
function webhooks(senders: Sender[], count: number) {
  return Array.from({ length: count }, (_, i) => {
    const s = senders[nextSender++ % senders.length]!;
    const wamid = randomWamid();
    const who = { from: s.waId, userId: s.userId, name: s.name, wamid };
    const payload =
      i % 2 === 0
        ? textWebhook({ ...who, text: 'MENU' })
        : buttonReplyWebhook({ ...who, id: CHOICE.menu, title: 'Menu', contextWamid: randomWamid() });
    const { body, headers } = signedRequest(payload, BENCH_APP_SECRET);
    return { wamid, body, headers: headers as Record<string, string> };
  });
}

const count = async (where: ReturnType<typeof and>) =>
  (await db.select({ n: sql<number>`count(*)::int` }).from(messages).where(where))[0]!.n;
const unhandled = () => count(and(eq(messages.direction, 'in'), isNull(messages.handledAt)));
const repliesWaiting = () =>
  count(and(eq(messages.direction, 'out'), inArray(messages.status, ['queued', 'sending'])));

/** Waits until every recorded message is handled and every reply has left; ms it took, or null. */
async function drained(): Promise<number | null> {
  const started = performance.now();
  let lastPrint = started;
  while (performance.now() - started < DRAIN_LIMIT_MS) {
    const [waiting, sending] = [await unhandled(), await repliesWaiting()];
    if (waiting === 0 && sending === 0) return performance.now() - started;
    if (performance.now() - lastPrint > 5000) {
      lastPrint = performance.now();
      console.log(`  waiting: ${waiting} messages to handle, ${sending} replies to send`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

function summary(r: FixedRateResult) {
  const answered = r.latencies.filter((l) => Number.isFinite(l));
  return {
    rate: r.achievedRate,
    p50: percentile(answered, 50),
    p99: percentile(answered, 99),
    max: answered.reduce((a, b) => Math.max(a, b), 0),
    non2xx: r.statuses.filter((s) => s < 200 || s >= 300).length,
  };
}
const ms = (n: number) => `${n.toFixed(1)} ms`;
const line = (label: string, s: ReturnType<typeof summary>) =>
  `  ${label.padEnd(9)} ${s.rate.toFixed(0).padStart(5)}/s  p50 ${ms(s.p50).padStart(9)}  p99 ${ms(s.p99).padStart(9)}  max ${ms(s.max).padStart(9)}  non-2xx ${s.non2xx}`;

try {
  console.log(`seeding ${senderCount} participants …`);
  const people = generateSeed({
    size: senderCount,
    seed: 7,
    today: new Date().toISOString().slice(0, 10),
    timeZone: 'Asia/Jakarta',
  }).participants;
  for (let i = 0; i < people.length; i += 10_000) {
    await importParticipants(db, people.slice(i, i + 10_000), {
      dataKey: BENCH_DATA_KEY,
      timeZone: 'Asia/Jakarta',
      actor: 'bench',
      source: 'json',
    });
  }
  // senders are the numbers as stored (wa_id form), each with a BSUID as Meta now sends both
  const rows = await db
    .selectDistinctOn([participants.waId], { waId: participants.waId, name: participants.name })
    .from(participants)
    .where(sql`${participants.waId} is not null`);
  const senders: Sender[] = rows.map((r) => ({
    waId: r.waId!,
    userId: `ID.${BigInt(`0x${randomBytes(8).toString('hex')}`)}`,
    name: r.name,
  }));

  console.log('warming up …');
  // Warm-up (JIT, pools, the menu answered once per kind): a few requests to each server, not measured.
  const warm = webhooks(senders, 40);
  await runFixedRate({ url: `${bareAddress}/webhooks/whatsapp`, requests: warm, rate: 100, connections });
  const warmRun = await runFixedRate({
    url: `${service.address}/webhooks/whatsapp`,
    requests: warm,
    rate: 100,
    connections,
  });
  if (warmRun.statuses.some((s) => s !== 200)) throw new Error(`warm-up answered ${warmRun.statuses}`);
  if ((await drained()) == null) throw new Error('warm-up never finished');
  const warmReplies = await count(and(eq(messages.direction, 'out'), like(messages.dedupeKey, 'reply:%')));
  if (warmReplies !== warm.length * EXPECTED_REPLIES)
    throw new Error(`warm-up: ${warmReplies} replies to ${warm.length} messages`);

  const sizes = warm.map((w) => Buffer.byteLength(w.body));
  console.log(
    `${senders.length} senders; webhook bodies ${Math.min(...sizes)}–${Math.max(...sizes)} bytes; ${connections} connections; ${seconds} s per rate`,
  );
  const acknowledged: string[] = [];
  const results: string[] = [];
  for (const rate of rates) {
    const batch = webhooks(senders, Math.round(rate * seconds));
    const base = summary(
      await runFixedRate({ url: `${bareAddress}/webhooks/whatsapp`, requests: batch, rate, connections }),
    );
    const run = await runFixedRate({
      url: `${service.address}/webhooks/whatsapp`,
      requests: batch,
      rate,
      connections,
    });
    const tagih = summary(run);
    run.statuses.forEach((s, i) => {
      if (s >= 200 && s < 300) acknowledged.push(batch[i]!.wamid);
    });
    const caughtUp = await drained();
    const text = [
      `rate ${rate}/s, ${batch.length} webhooks; ${machineLine()}`,
      line('tagih', tagih),
      line('baseline', base),
      `  p99 ratio ${(tagih.p99 / base.p99).toFixed(2)}${rate === 500 ? ' (target ≤ 2)' : ''}; engine and replies caught up ${caughtUp == null ? 'NOT within 10 min' : `${(caughtUp / 1000).toFixed(1)} s after the load`}`,
    ].join('\n');
    console.log(text);
    results.push(text);
  }

  // Every acknowledged wamid: recorded once, handled, answered exactly EXPECTED_REPLIES times, sent once.
  const inbound = await db
    .select({ wamid: messages.wamid, handledAt: messages.handledAt })
    .from(messages)
    .where(eq(messages.direction, 'in'));
  const recorded = new Map<string, number>();
  const handled = new Set<string>();
  for (const m of inbound) {
    recorded.set(m.wamid!, (recorded.get(m.wamid!) ?? 0) + 1);
    if (m.handledAt) handled.add(m.wamid!);
  }
  const replies = await db
    .select({ key: messages.dedupeKey, wamid: messages.wamid })
    .from(messages)
    .where(and(eq(messages.direction, 'out'), like(messages.dedupeKey, 'reply:%')));
  const repliesTo = new Map<string, number>();
  let unsent = 0;
  for (const r of replies) {
    const inboundWamid = /^reply:(.+):\d+$/.exec(r.key!)![1]!;
    repliesTo.set(inboundWamid, (repliesTo.get(inboundWamid) ?? 0) + 1);
    if (!r.wamid) unsent++;
  }
  let notRecorded = 0;
  let recordedTwice = 0;
  let notHandled = 0;
  let unanswered = 0;
  let answeredTwice = 0;
  for (const wamid of acknowledged) {
    const n = recorded.get(wamid) ?? 0;
    if (n === 0) notRecorded++;
    if (n > 1) recordedTwice++;
    if (n > 0 && !handled.has(wamid)) notHandled++;
    const r = repliesTo.get(wamid) ?? 0;
    if (r < EXPECTED_REPLIES) unanswered++;
    if (r > EXPECTED_REPLIES) answeredTwice++;
  }
  const fakeStats = await fake.stats();
  // the fake saw every reply row's send once: more requests than rows, or a body twice, is a double send
  const extraSends = Math.max(0, fakeStats.count - replies.length);
  const lost = notRecorded + notHandled + unanswered + unsent;
  const twice = recordedTwice + answeredTwice + fakeStats.duplicates + extraSends;
  console.log('');
  console.log(
    `${acknowledged.length} acknowledged webhooks: not recorded ${notRecorded}, recorded twice ${recordedTwice}, not handled ${notHandled}, unanswered ${unanswered}, answered more than once ${answeredTwice}`,
  );
  console.log(
    `${replies.length} reply rows (${unsent} never accepted); the fake saw ${fakeStats.count} sends, ${fakeStats.duplicates} duplicate bodies`,
  );
  console.log(`lost: ${lost}, answered twice: ${twice}`);
} finally {
  await bare.close();
  await run.stop();
}
