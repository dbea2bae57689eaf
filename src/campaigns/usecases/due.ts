import type { Campaign } from '../../db/index.js';
import { localDate } from '../../local-time.js';
import type { Audience } from '../audience.js';
import { insertDuePage, takeDay } from '../repository/index.js';
import { pointPassed, type StandingSchedule } from '../schedule.js';
import type { CampaignContext } from './context.js';

const PAGE = 1000;

/**
 * Writes today's recipients of a standing campaign once: the move of last_run_on to today and the rows
 * commit together, so a second process (or the job and the tick) finds the day taken, and a crash half-way
 * leaves the day to run again. Bills already paid are not in the query; later payments meet the guard.
 */
export async function runDay(
  ctx: Pick<CampaignContext, 'db' | 'log' | 'now' | 'hours'>,
  c: Campaign,
  s: StandingSchedule,
): Promise<void> {
  const at = ctx.now();
  if (!pointPassed(at, s.time, ctx.hours.timeZone)) return;
  const today = localDate(at, ctx.hours.timeZone);
  if (c.lastRunOn !== null && c.lastRunOn >= today) return;
  await ctx.db.transaction(async (tx) => {
    if (!(await takeDay(tx, c.id, today))) return;
    const page = {
      campaignId: c.id,
      audience: c.audience as Audience,
      today,
      holdoutPercent: c.holdoutPercent,
    };
    let after = 0;
    let inserted = 0;
    for (;;) {
      const written = await insertDuePage(tx, page, s.dueDateOffsetDays, after, PAGE);
      inserted += written.inserted;
      if (written.last === null) break;
      after = written.last;
    }
    ctx.log.info({ campaignId: c.id, day: today, inserted }, 'campaign: standing schedule ran');
  });
}
