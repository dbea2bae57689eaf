import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Db } from '../../db/index.js';
import type { Metrics } from '../../metrics.js';
import type { Outbound } from '../../outbound/index.js';
import type { SendingHours } from '../hours.js';

export type CampaignLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** What the campaign use-cases share: the database, the sender, the clock and the sending hours. */
export interface CampaignContext {
  db: Db;
  outbound: Outbound;
  metrics?: Metrics;
  log: CampaignLogger;
  /** the clock for schedules, sending hours and the messaging-limit window (tests run a day without waiting) */
  now: () => Date;
  hours: SendingHours;
}

export function sendingHours(
  config: Pick<Config, 'businessTz' | 'quietHours'> & {
    campaigns: Pick<Config['campaigns'], 'holidays' | 'fridayPause'>;
  },
): SendingHours {
  return {
    timeZone: config.businessTz,
    quietHours: config.quietHours,
    holidays: new Set(config.campaigns.holidays),
    fridayPause: config.campaigns.fridayPause,
  };
}
