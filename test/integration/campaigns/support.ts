import { randomInt } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import nock from 'nock';
import { type CampaignRunner, createCampaignRunner } from '../../../src/campaigns/index.js';
import {
  bills,
  type CampaignRecipient,
  campaignRecipients,
  type Db,
  messages,
  participants,
} from '../../../src/db/index.js';
import type { Metrics } from '../../../src/metrics.js';
import { createOutbound, type Outbound } from '../../../src/outbound/index.js';
import { createCloudApiClient } from '../../../src/whatsapp/index.js';
import { APP_SECRET, adminHeaders, CLOUD_API, PHONE_NUMBER_ID, type TestApp } from '../../support/app.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../../support/servers.js';
import { type StatusSpec, signedRequest, statusWebhook } from '../../support/webhooks.js';

// The Cloud API on nock for campaign tests: records each send, answers from a per-recipient script.

export interface Sent {
  at: number;
  to: string;
  body: Record<string, unknown>;
  wamid?: string;
}
export type Reply = { status: 200 } | { status: number; code: number; title: string };

export function fakeCloudApi() {
  const sent: Sent[] = [];
  const scripts = new Map<string, Reply[]>();
  const held = new Map<string, Promise<void>>();
  let n = 0;
  nock(CLOUD_API)
    .persist()
    .post(`/v23.0/${PHONE_NUMBER_ID}/messages`)
    .reply(async (_uri, requestBody) => {
      const body = requestBody as Record<string, unknown>;
      const to = String(body.to);
      const entry: Sent = { at: Date.now(), to, body };
      sent.push(entry);
      const next = scripts.get(to)?.shift();
      if (next && next.status !== 200 && 'code' in next) {
        return [next.status, { error: { message: next.title, type: 'OAuthException', code: next.code } }];
      }
      entry.wamid = `wamid.C${++n}.${to}`;
      await held.get(to);
      return [
        200,
        {
          messaging_product: 'whatsapp',
          contacts: [{ input: to, wa_id: to }],
          messages: [{ id: entry.wamid }],
        },
      ];
    });
  return {
    sent,
    script: (to: string, ...replies: Reply[]) => scripts.set(to, replies),
    /** Holds the answers to `to` (the send is seen, its wamid known) until the returned release is called. */
    hold(to: string): () => void {
      let release = () => {};
      held.set(to, new Promise<void>((r) => (release = r)));
      return () => release();
    },
    to: (to: string) => sent.filter((s) => s.to === to),
  };
}

export const runnerConfig = (
  over: {
    quietHours?: { start: number; end: number } | null;
    mps?: number;
    messagingLimit?: number | null;
  } = {},
) => ({
  businessTz: 'Asia/Jakarta',
  quietHours: over.quietHours ?? null,
  campaigns: { holidays: [], fridayPause: null, priceIdr: { utility: 410, marketing: 675, service: 410 } },
  whatsapp: { mps: over.mps ?? 80, messagingLimit: over.messagingLimit ?? null },
});

/** A second "process": its own outbound on the test app's queue (or another), and a campaign runner on it. */
export function process(
  t: TestApp,
  opts: {
    prefix?: string;
    mps?: number;
    start?: boolean;
    now?: () => Date;
    quietHours?: { start: number; end: number } | null;
    inFlight?: number;
    /** WHATSAPP_TIER's budget; unset: unlimited */
    messagingLimit?: number;
    /** standing schedules' BullMQ job schedulers on this process's prefix (else the tick alone fires them) */
    jobSchedulers?: boolean;
  } = {},
): { outbound: Outbound; runner: CampaignRunner; prefix: string; close(): Promise<void> } {
  const prefix = opts.prefix ?? testRedisPrefix();
  const outbound = createOutbound({
    db: t.database.db,
    client: createCloudApiClient({
      apiUrl: CLOUD_API,
      apiVersion: 'v23.0',
      phoneNumberId: PHONE_NUMBER_ID,
      accessToken: 'test-token',
      timeoutMs: 2000,
    }),
    metrics: t.metrics,
    mps: opts.mps ?? 80,
    redis: { url: TEST_REDIS_URL!, prefix },
    retry: { attempts: 4, baseDelayMs: 20 },
    statusLagMs: 50,
    followEveryMs: 20,
    // the same clock as the runner's: a message's queueing time is what the messaging-limit window reads
    ...(opts.now ? { now: opts.now } : {}),
  });
  const runner = createCampaignRunner({
    db: t.database.db,
    outbound,
    config: runnerConfig({
      quietHours: opts.quietHours ?? null,
      mps: opts.mps ?? 80,
      messagingLimit: opts.messagingLimit ?? null,
    }),
    redis: opts.jobSchedulers ? { url: TEST_REDIS_URL!, prefix } : null,
    metrics: t.metrics,
    tickMs: 50,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.inFlight ? { inFlight: opts.inFlight } : {}),
  });
  return {
    outbound,
    runner,
    prefix,
    async close() {
      await runner.stop();
      await outbound.close();
    },
  };
}

export const newWaId = (): string => `62813${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
const newKpj = (): string => String(randomInt(10_000_000_000, 99_999_999_999));

export interface Seeded {
  id: number;
  kpj: string;
  waId: string;
  billId: number;
}

/** Participants with one unpaid bill each (period 2026-11, Rp36.800, due 2026-11-15 unless given). */
export async function seed(
  db: Db,
  count: number,
  over: Partial<typeof participants.$inferInsert> = {},
  bill: { period?: string; dueDate?: string; extra?: { period: string; dueDate: string }[] } = {},
): Promise<Seeded[]> {
  const out: Seeded[] = [];
  for (let i = 0; i < count; i++) {
    const [p] = await db
      .insert(participants)
      .values({
        kpj: newKpj(),
        name: `Peserta ${i}`,
        waId: newWaId(),
        birthDateHash: 'x',
        category: 'BPU',
        ...over,
      })
      .returning();
    const [b] = await db
      .insert(bills)
      .values({
        participantId: p!.id,
        period: bill.period ?? '2026-11',
        amount: 36_800,
        dueDate: bill.dueDate ?? '2026-11-15',
        paymentCode: `PC${p!.id}`,
      })
      .returning();
    for (const e of bill.extra ?? []) {
      await db.insert(bills).values({
        participantId: p!.id,
        period: e.period,
        amount: 36_800,
        dueDate: e.dueDate,
        paymentCode: `PC${p!.id}${e.period}`,
      });
    }
    out.push({ id: p!.id, kpj: p!.kpj, waId: p!.waId, billId: b!.id });
  }
  return out;
}

export async function createCampaign(t: TestApp, body: Record<string, unknown>): Promise<number> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/campaigns',
    headers: adminHeaders,
    payload: { name: 'Pengingat November', template: { name: 'iuran_reminder', language: 'id' }, ...body },
  });
  if (res.statusCode !== 201) throw new Error(`create: ${res.statusCode} ${res.body}`);
  return res.json<{ id: number }>().id;
}

export async function act(
  t: TestApp,
  id: number,
  action: string,
): Promise<{ statusCode: number; body: { id: number; status: string } }> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/campaigns/${id}/${action}`,
    headers: adminHeaders,
  });
  return { statusCode: res.statusCode, body: res.json() };
}

export interface CampaignView {
  status: string;
  pauseReason: string | null;
  audienceSize: number;
  stats: Record<string, number>;
  failuresByCode: Record<string, number>;
  skippedByReason: Record<string, number>;
  costIdr: number;
}

export async function view(t: TestApp, id: number): Promise<CampaignView> {
  const res = await t.app.inject({ method: 'GET', url: `/api/campaigns/${id}`, headers: adminHeaders });
  if (res.statusCode !== 200) throw new Error(`get: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function postStatuses(t: TestApp, statuses: StatusSpec[]): Promise<void> {
  const { body, headers } = signedRequest(statusWebhook(statuses), APP_SECRET);
  const res = await t.app.inject({ method: 'POST', url: '/webhooks/whatsapp', headers, payload: body });
  if (res.statusCode !== 200) throw new Error(`webhook: ${res.statusCode} ${res.body}`);
}

export async function recipientsOf(db: Db, campaignId: number) {
  return db.select().from(campaignRecipients).where(eq(campaignRecipients.campaignId, campaignId));
}

/** The recipient's message: the one of its current attempt (null before it has one). */
export async function messageIdOf(
  db: Db,
  r: Pick<CampaignRecipient, 'id' | 'attempts'>,
): Promise<number | null> {
  const [row] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.campaignRecipientId, r.id), eq(messages.campaignAttempt, r.attempts)));
  return row?.id ?? null;
}

/** The value of one labelled series of a counter, 0 when it was never incremented. */
export async function metric(
  m: Metrics,
  name: 'campaignAlerts' | 'campaignSkips' | 'sends',
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await m[name].get();
  return (
    values.find((v) =>
      Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
    )?.value ?? 0
  );
}
