import type { CampaignStatus, Db, Tx } from '../../db/index.js';
import { moveCampaign } from '../repository/index.js';

/**
 * Starts a draft: from here the runner writes its audience a page at a time and hands each page's
 * reminders to the sender as it goes, so the first reminder leaves before the whole audience is written.
 */
export async function startCampaign(
  db: Db | Tx,
  id: number,
  at: Date,
): Promise<{ id: number; status: CampaignStatus } | undefined> {
  return moveCampaign(db, id, { from: ['draft'], to: 'running', at, set: { startedAt: at } });
}
