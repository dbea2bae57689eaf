import type { CampaignStatus, Db, Tx } from '../../db/index.js';
import type { Metrics } from '../../metrics.js';
import { dropUnsent, findCampaign, moveCampaign, pauseRunning } from '../repository/index.js';
import type { CampaignContext } from './context.js';
import { startCampaign } from './start.js';

// Where a campaign may go, by an officer's hand (the routes) or by what a send said (an error that pauses).

export type CampaignAction = 'start' | 'pause' | 'resume' | 'cancel';

/** Which statuses each action may move a campaign from. */
export const ALLOWED_FROM: Record<CampaignAction, readonly CampaignStatus[]> = {
  start: ['draft'],
  pause: ['running'],
  resume: ['paused'],
  cancel: ['draft', 'running', 'paused'],
};

export type ControlResult =
  | { ok: true; campaign: { id: number; status: CampaignStatus } }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'conflict'; status: CampaignStatus; allowed: readonly CampaignStatus[] };

/**
 * An officer's action on a campaign. Pause holds what is queued (the sender's guard puts each reminder
 * back to pending as its turn comes); cancel drops what was not sent.
 */
export async function controlCampaign(
  deps: { db: Db; metrics?: Metrics; now: () => Date },
  id: number,
  action: CampaignAction,
  by: string,
): Promise<ControlResult> {
  const at = deps.now();
  const moved = await deps.db.transaction(async (tx) => {
    switch (action) {
      case 'start':
        return startCampaign(tx, id, at);
      case 'pause':
        return moveCampaign(tx, id, {
          from: ALLOWED_FROM.pause,
          to: 'paused',
          at,
          set: { pauseReason: `paused by ${by}` },
        });
      case 'resume':
        return moveCampaign(tx, id, {
          from: ALLOWED_FROM.resume,
          to: 'running',
          at,
          set: { pauseReason: null },
        });
      case 'cancel':
        return cancel(tx, id, at, deps.metrics);
    }
  });
  if (moved) return { ok: true, campaign: moved };
  const found = await findCampaign(deps.db, id);
  if (!found) return { ok: false, reason: 'not_found' };
  return { ok: false, reason: 'conflict', status: found.status, allowed: ALLOWED_FROM[action] };
}

async function cancel(tx: Tx, id: number, at: Date, metrics?: Metrics) {
  const moved = await moveCampaign(tx, id, { from: ALLOWED_FROM.cancel, to: 'cancelled', at });
  if (!moved) return undefined;
  const dropped = await dropUnsent(tx, id);
  if (dropped > 0) metrics?.campaignSkips.inc({ reason: 'cancelled' }, dropped);
  return moved;
}

/** A send said the campaign cannot go on: paused with the reason, an alert in the log and in /metrics. */
export async function pauseForAlert(
  ctx: Pick<CampaignContext, 'metrics' | 'log' | 'now'>,
  db: Db | Tx,
  campaignId: number,
  why: { reason: string; alert: string },
): Promise<void> {
  if (!(await pauseRunning(db, campaignId, why.reason, ctx.now()))) return;
  ctx.metrics?.campaignAlerts.inc({ reason: why.alert });
  ctx.log.error(
    { alert: true, campaignId, reason: why.reason },
    `campaign ${campaignId} paused: ${why.reason}`,
  );
}
