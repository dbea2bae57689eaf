import type { Campaign } from '../../db/index.js';
import { holdFor } from '../hours.js';
import {
  claimedWithoutMessage,
  claimPending,
  claimWithinLimit,
  completeCampaign,
  countInFlight,
  hasOpenReminders,
  type Reminder,
} from '../repository/index.js';
import { standingSchedule } from '../schedule.js';
import type { CampaignContext } from './context.js';
import { type AudienceProgress, progressOf, writeAudiencePage } from './materialise.js';
import { handOver } from './send.js';

// One pass for a running campaign: a few seconds' worth of its reminders handed to the one sender, so
// pause and cancel act on a short queue, writing the audience a page further whenever that runs short;
// under a messaging limit (WHATSAPP_TIER) only as many as its budget allows.

export interface PumpContext extends CampaignContext {
  /** reminders handed to the sender and not yet out, per campaign: enough for two passes at the cap */
  inFlight: number;
  /** WHATSAPP_TIER's budget; null: none */
  messagingLimit: number | null;
  /** campaigns held by the messaging limit: real time of the next look (the big count is not run every pass) */
  heldUntil: Map<number, number>;
}

/** A claimed reminder whose message was never made (a crash between claim and enqueue) is handed over again. */
const RESEND_AFTER_SECONDS = 30;
const RESEND_PAGE = 1000;
/** Reminders claimed, rendered and handed to the sender at a time. */
const HAND_OVER_BATCH = 500;
const FIRST_BATCH = 50;
/** Pages of audience one pass may write looking for reminders to send (held-out rows send nothing). */
const MAX_PAGES_A_PASS = 10;
/** A campaign held by the messaging limit looks for freed budget this often. */
const TIER_RECHECK_MS = 1000;

export async function pump(ctx: PumpContext, c: Campaign): Promise<void> {
  const at = ctx.now();
  const sendAt = typeof c.schedule?.sendAt === 'string' ? new Date(c.schedule.sendAt) : null;
  if (sendAt && sendAt > at) return;
  // A standing campaign's rows are written day by day (due.ts), never from the audience at large.
  const standing = standingSchedule(c) !== null;
  const progress = standing ? null : progressOf(c);

  const orphans = await claimedWithoutMessage(ctx.db, c.id, RESEND_AFTER_SECONDS, RESEND_PAGE);
  if (orphans.length > 0) await handOver(ctx, c, orphans);

  // Outside sending hours nothing new is queued; what is queued already waits in the sender.
  if (!holdFor(at, ctx.hours)) {
    // Handed over a batch at a time, so that the sender starts on the first while the next is rendered.
    // A campaign's very first pass (nothing of its audience written yet) hands over a small batch and
    // leaves the rest to the next pass: its first sends do not wait behind the rendering of thousands.
    const first = progress !== null && c.audienceCursor === null;
    let room = first
      ? Math.min(FIRST_BATCH, ctx.inFlight)
      : ctx.inFlight - (await countInFlight(ctx.db, c.id));
    while (room > 0) {
      const asked = Math.min(room, HAND_OVER_BATCH);
      const claimed = await claimWritingAudience(ctx, c, asked, at, progress);
      if (claimed.length > 0) await handOver(ctx, c, claimed);
      if (claimed.length < asked) break;
      room -= claimed.length;
    }
  }

  // A standing campaign runs until cancelled: a day with nothing left is not its end.
  if (!progress?.done) return;
  if (!(await hasOpenReminders(ctx.db, c.id)) && (await completeCampaign(ctx.db, c.id, ctx.now()))) {
    ctx.log.info({ campaignId: c.id }, 'campaign completed');
  }
}

/** Up to `room` reminders, writing pages of the audience while the written ones run short. */
async function claimWritingAudience(
  ctx: PumpContext,
  c: Campaign,
  room: number,
  at: Date,
  progress: AudienceProgress | null,
): Promise<Reminder[]> {
  const claimed: Reminder[] = [];
  for (let pages = 0; ; pages++) {
    const { reminders, held } = await claim(ctx, c, room - claimed.length, at);
    claimed.push(...reminders);
    if (claimed.length >= room || held || !progress || progress.done || pages >= MAX_PAGES_A_PASS) {
      return claimed;
    }
    await writeAudiencePage(ctx, c, progress);
  }
}

/** Reminders given to the sender now: as many as there is room for, within the messaging limit. */
async function claim(
  ctx: PumpContext,
  c: Campaign,
  room: number,
  at: Date,
): Promise<{ reminders: Reminder[]; held: boolean }> {
  if (ctx.messagingLimit === null)
    return { reminders: await claimPending(ctx.db, c.id, room, at), held: false };
  const wait = ctx.heldUntil.get(c.id);
  if (wait !== undefined && Date.now() < wait) return { reminders: [], held: true };
  const { claimed, held } = await claimWithinLimit(ctx.db, c.id, room, ctx.messagingLimit, at);
  if (held && claimed.length === 0) {
    if (wait === undefined) {
      ctx.log.info(
        { campaignId: c.id, limit: ctx.messagingLimit },
        'campaign: messaging limit reached, the rest wait for budget',
      );
    }
    ctx.heldUntil.set(c.id, Date.now() + TIER_RECHECK_MS);
  } else {
    ctx.heldUntil.delete(c.id);
  }
  return { reminders: claimed, held };
}
