import type { Campaign } from '../../db/index.js';
import { localDate } from '../../local-time.js';
import type { Audience } from '../audience.js';
import { insertRecipientPage, markRecipientsReady, moveAudienceCursor } from '../repository/index.js';
import type { CampaignContext } from './context.js';

// A campaign's audience is written as it is sent: a page of recipient rows (keyed by participant id) each
// time the pump runs short of reminders to hand over, so the first reminder leaves after one page, not
// after the whole audience. Every page is idempotent (the rows are unique per campaign, participant and
// bill), so a crash, or two processes writing the same page, changes nothing.

export const AUDIENCE_PAGE = 1000;

/** How far a campaign's audience is written, as the pump sees it during one pass. */
export interface AudienceProgress {
  after: number;
  done: boolean;
}

export const progressOf = (c: Campaign): AudienceProgress => ({
  after: c.audienceCursor ?? 0,
  done: c.recipientsReadyAt !== null,
});

/** Writes the next page of the audience and moves `progress` past it. */
export async function writeAudiencePage(
  ctx: Pick<CampaignContext, 'db' | 'log' | 'now' | 'hours'>,
  c: Campaign,
  progress: AudienceProgress,
): Promise<void> {
  const page = await insertRecipientPage(
    ctx.db,
    {
      campaignId: c.id,
      audience: c.audience as Audience,
      today: localDate(ctx.now(), ctx.hours.timeZone),
      holdoutPercent: c.holdoutPercent,
    },
    progress.after,
    AUDIENCE_PAGE,
  );
  if (page.last !== null) {
    progress.after = page.last;
    await moveAudienceCursor(ctx.db, c.id, page.last);
  }
  if (page.last === null || page.size < AUDIENCE_PAGE) {
    progress.done = true;
    await markRecipientsReady(ctx.db, c.id, ctx.now());
    ctx.log.info({ campaignId: c.id }, 'campaign: audience written');
  }
}
