import { desc } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import {
  type Audience,
  audienceSchema,
  campaignImpact,
  campaignReport,
  countAudience,
} from '../campaigns/index.js';
import type { Config } from '../config.js';
import { campaigns, type Db } from '../db/index.js';
import { localDate } from '../local-time.js';

// The dashboard's one read: every recent campaign with its funnel, failures, cost and (with a holdout) its
// uplift, and the audiences a new campaign can start from. Creating and starting go through the campaign
// API itself, so the dashboard has no write path of its own.

export interface DashboardRoutesOptions {
  db: Db;
  config: Config;
}

/** How many campaigns the page shows, newest first. */
const RECENT = 20;
/** The window the holdout uplift is measured over, in days after the send. */
const IMPACT_DAYS = 14;

/**
 * Audiences an officer starts from. The schema has no table of saved audiences, so these are the branch's
 * usual groups, followed by every distinct audience an earlier campaign used.
 */
const PRESETS: { label: string; audience: Audience }[] = [
  { label: 'Semua peserta dengan iuran belum dibayar', audience: {} },
  { label: 'Tunggakan 1 bulan atau lebih', audience: { minArrearsMonths: 1 } },
  { label: 'BPU, tunggakan 2 bulan atau lebih', audience: { category: 'BPU', minArrearsMonths: 2 } },
  { label: 'PU, tunggakan 1 bulan atau lebih', audience: { category: 'PU', minArrearsMonths: 1 } },
];

export const dashboardRoutes: FastifyPluginAsync<DashboardRoutesOptions> = async (app, opts) => {
  const { db, config } = opts;

  app.get(
    '/api/dashboard',
    { schema: { tags: ['campaigns'], summary: 'Campaign funnels for the dashboard' } },
    async () => {
      const list = await db.select().from(campaigns).orderBy(desc(campaigns.id)).limit(RECENT);
      const today = localDate(new Date(), config.businessTz);
      const out = await Promise.all(
        list.map(async (c) => {
          const report = await campaignReport(db, c.id, config.campaigns.priceIdr);
          const impact = c.holdoutPercent > 0 ? await campaignImpact(db, c.id, IMPACT_DAYS) : null;
          return {
            id: c.id,
            name: c.name,
            status: c.status,
            pauseReason: c.pauseReason,
            template: c.templateName,
            audience: c.audience,
            schedule: c.schedule,
            holdoutPercent: c.holdoutPercent,
            recipients: report.recipients,
            stats: report.stats,
            failuresByCode: report.failuresByCode,
            skippedByReason: report.skippedByReason,
            costIdr: report.costIdr,
            paidAfterIdr: report.paidAfterIdr,
            impact: impact ? { days: IMPACT_DAYS, ...impact } : null,
            createdAt: c.createdAt.toISOString(),
          };
        }),
      );
      const seen = new Set<string>();
      const audiences: { label: string; audience: Audience; size: number }[] = [];
      const used = list.flatMap((c) => {
        const parsed = audienceSchema.safeParse(c.audience);
        return parsed.success ? [{ label: `Seperti kampanye "${c.name}"`, audience: parsed.data }] : [];
      });
      for (const a of [...PRESETS, ...used]) {
        const key = JSON.stringify(a.audience, Object.keys(a.audience).sort());
        if (seen.has(key)) continue;
        seen.add(key);
        audiences.push({ ...a, size: await countAudience(db, a.audience, today) });
      }
      return { campaigns: out, audiences };
    },
  );
};
