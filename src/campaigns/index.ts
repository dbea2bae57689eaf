// The one door to the campaigns room: reminder blasts, their recipients, the pre-send guard, and stats.
export { type Audience, audienceSchema } from './audience.js';
export { holdFor, type SendingHours } from './hours.js';
export { campaignImpact, differenceOfProportions, type Impact } from './impact.js';
export { countAudience } from './repository/index.js';
export { type CampaignRoutesOptions, campaignRoutes } from './routes.js';
export { type CampaignRunner, type CampaignRunnerDeps, createCampaignRunner } from './runner.js';
export { type CampaignReport, type CampaignStats, campaignReport, estimate } from './stats.js';
export type { CampaignLogger } from './usecases/context.js';
export { PAUSE_CODES } from './usecases/decide.js';
