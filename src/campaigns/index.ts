// The one door to the campaigns room: reminder blasts, their recipients, the pre-send guard, and stats.
export { type Audience, audienceSchema, countAudience } from './audience.js';
export { holdFor, localDate, type SendingHours } from './hours.js';
export { campaignImpact, differenceOfProportions, type Impact } from './impact.js';
export { type CampaignRoutesOptions, campaignRoutes } from './routes.js';
export {
  type CampaignLogger,
  type CampaignRunner,
  type CampaignRunnerDeps,
  createCampaignRunner,
  DEDUPE_PREFIX,
  PAUSE_CODES,
} from './runner.js';
export { type CampaignReport, type CampaignStats, campaignReport, estimate } from './stats.js';
