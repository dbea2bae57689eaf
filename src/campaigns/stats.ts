import type { Config } from '../config.js';
import type { Campaign, Db, OriginKind, Tx } from '../db/index.js';
import { audienceSchema } from './audience.js';
import {
  campaignFunnel,
  costByOrigin,
  countAudience,
  countWrittenThrough,
  failuresByCode,
  skipsByReason,
} from './repository/index.js';
import { standingSchedule } from './schedule.js';

// What happened to a campaign, as queries over its recipients and their messages (never counters kept by
// hand): a funnel in which a read counts as delivered and sent whatever order its statuses came in, then
// what the participants did after the reminder.

type Queryable = Db | Tx;

export interface CampaignStats {
  queued: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  replied: number;
  optedOut: number;
  paid: number;
}

export interface CampaignReport {
  stats: CampaignStats;
  failuresByCode: Record<string, number>;
  skippedByReason: Record<string, number>;
  holdout: number;
  recipients: number;
  /** rupiah, from each delivered message's billed category at the configured rate card */
  costIdr: number;
  /** rupiah paid on reminded bills after their reminder */
  paidAfterIdr: number;
}

export interface CostLine {
  /** messages with a billed price reported */
  billed: number;
  idr: number;
}

export interface MessagingCost {
  /** campaign reminders (origin 'campaign') */
  campaigns: CostLine;
  /** everything said in conversations: the bot's replies, the officers' words, notices */
  conversations: CostLine;
  /** by who asked for the message (reply, agent, notice, campaign) */
  byOrigin: Record<string, CostLine>;
  /** by the category Meta billed: a template's own category, or service for a free-form message */
  byCategory: Record<string, CostLine>;
  totalIdr: number;
}

/** What WhatsApp charged for everything sent between two instants, by origin and billed category. */
export async function messagingCost(
  db: Queryable,
  prices: Config['campaigns']['priceIdr'],
  range: { from: Date; to: Date },
): Promise<MessagingCost> {
  const lines = await costByOrigin(db, prices, range);
  const zero = (): CostLine => ({ billed: 0, idr: 0 });
  const out: MessagingCost = {
    campaigns: zero(),
    conversations: zero(),
    byOrigin: {},
    byCategory: {},
    totalIdr: 0,
  };
  const add = (line: CostLine, billed: number, idr: number) => {
    line.billed += billed;
    line.idr += idr;
  };
  for (const l of lines) {
    const billed = Number(l.billed ?? 0);
    const idr = Number(l.idr ?? 0);
    add(isCampaign(l.origin) ? out.campaigns : out.conversations, billed, idr);
    const origin = l.origin ?? 'unknown';
    out.byOrigin[origin] ??= zero();
    add(out.byOrigin[origin], billed, idr);
    const category = l.category ?? 'unknown';
    out.byCategory[category] ??= zero();
    add(out.byCategory[category], billed, idr);
    out.totalIdr += idr;
  }
  return out;
}

const isCampaign = (origin: OriginKind | null) => origin === 'campaign';

export async function campaignReport(
  db: Queryable,
  campaignId: number,
  prices: Config['campaigns']['priceIdr'],
): Promise<CampaignReport> {
  const f = await campaignFunnel(db, campaignId, prices);
  const failures = await failuresByCode(db, campaignId);
  const skips = await skipsByReason(db, campaignId);
  const n = (v: string | number | null | undefined) => Number(v ?? 0);
  return {
    stats: {
      queued: n(f.queued),
      sent: n(f.sent),
      delivered: n(f.delivered),
      read: n(f.read),
      failed: n(f.failed),
      skipped: n(f.skipped),
      replied: n(f.replied),
      optedOut: n(f.optedOut),
      paid: n(f.paid),
    },
    failuresByCode: Object.fromEntries(failures.map((x) => [String(x.code ?? 'unknown'), n(x.n)])),
    skippedByReason: Object.fromEntries(skips.map((x) => [x.reason ?? 'unknown', n(x.n)])),
    holdout: n(f.holdout),
    recipients: n(f.recipients),
    costIdr: n(f.cost),
    paidAfterIdr: n(f.paidAfter),
  };
}

/**
 * How many the campaign reminds: its recipient rows once the audience is written; while it is written a
 * page at a time, the rows up to its cursor and the rest of the audience as it is now (a standing
 * campaign's, before its first day, is its audience now).
 */
export async function audienceSizeOf(
  db: Queryable,
  c: Campaign,
  recipients: number,
  today: string,
): Promise<number> {
  if (c.recipientsReadyAt) return recipients;
  const audience = audienceSchema.parse(c.audience);
  if (standingSchedule(c)) return recipients > 0 ? recipients : countAudience(db, audience, today);
  if (c.audienceCursor === null) return countAudience(db, audience, today);
  const written = await countWrittenThrough(db, c.id, c.audienceCursor);
  return written + (await countAudience(db, audience, today, c.audienceCursor));
}

/**
 * A dry run's estimate: the sendable share at the number's cap, priced at the rate card. Under a messaging
 * limit (WHATSAPP_TIER) a bigger audience takes a day per full budget (as if no other send used it).
 */
export function estimate(
  audienceSize: number,
  holdoutPercent: number,
  mps: number,
  pricePerMessage: number,
  messagingLimit: number | null = null,
): { audienceSize: number; expectedDurationSeconds: number; expectedCostIdr: number } {
  const sendable = audienceSize - Math.floor((audienceSize * holdoutPercent) / 100);
  const fullDays = messagingLimit === null ? 0 : Math.max(0, Math.ceil(sendable / messagingLimit) - 1);
  const lastDay = sendable - fullDays * (messagingLimit ?? 0);
  return {
    audienceSize,
    expectedDurationSeconds: fullDays * 86_400 + Math.ceil(lastDay / mps),
    expectedCostIdr: sendable * pricePerMessage,
  };
}
