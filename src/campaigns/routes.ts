import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findTemplate } from '../../templates/index.js';
import type { Config } from '../config.js';
import { campaigns, type Db } from '../db/index.js';
import { AppError, errorResponse, type Message, msg } from '../errors/index.js';
import { addDays, instantAt, localDate } from '../local-time.js';
import type { Metrics } from '../metrics.js';
import { audienceSchema } from './audience.js';
import { campaignImpact } from './impact.js';
import { countAudience } from './repository/index.js';
import { audienceSizeOf, campaignReport, estimate, messagingCost } from './stats.js';
import { controlCampaign } from './usecases/control.js';

export interface CampaignRoutesOptions {
  db: Db;
  config: Pick<Config, 'businessTz' | 'campaigns'> & {
    whatsapp: { mps: number; messagingLimit?: number | null };
  };
  metrics?: Metrics;
  now?: () => Date;
}

const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;

const scheduleSchema = z.union([
  z.object({ sendAt: z.iso.datetime({ offset: true }) }).strict(),
  z
    .object({
      dueDateOffsetDays: z.number().int().min(-90).max(90),
      time: z.string().regex(hhmm, 'expected HH:MM'),
    })
    .strict(),
]);

const createSchema = z.object({
  name: z.string().trim().min(1).max(200),
  template: z.object({
    name: z.string().min(1).max(512),
    /** for participants whose own language the template lacks */
    language: z.enum(['id', 'en']).default('id'),
  }),
  audience: audienceSchema.default({}),
  schedule: scheduleSchema.optional(),
  /** a random share of the audience recorded and kept unsent, to measure the reminders' effect */
  holdoutPercent: z.number().int().min(0).max(50).default(0),
  /** a marketing template needs this: reminders of a bill are utility */
  allowMarketing: z.boolean().default(false),
  dryRun: z.boolean().default(false),
});

const idParams = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });

/** A 400 for one field of the body, whose rule the schema cannot say (the template registry). */
const fieldError = (path: string, text: Message) =>
  new AppError('invalid_request', text, { issues: [{ path, message: text }] });

const noCampaign = (id: number) => new AppError('not_found', msg('campaign.not_found', { id }));
const notFound = errorResponse('No campaign with this id');

export const campaignRoutes: FastifyPluginAsync<CampaignRoutesOptions> = async (scope, opts) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const { db } = opts;
  const now = opts.now ?? (() => new Date());
  const today = () => localDate(now(), opts.config.businessTz);

  app.post(
    '/api/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        body: createSchema,
        errors: {
          400: errorResponse("The body's fields are wrong, or its template is not one the registry can send"),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const def = findTemplate(body.template.name);
      if (!def)
        throw fieldError(
          'body.template.name',
          msg('campaign.unknown_template', { name: body.template.name }),
        );
      if (!def.languages.includes(body.template.language)) {
        throw fieldError(
          'body.template.language',
          msg('campaign.template_language', {
            name: def.name,
            language: body.template.language,
            languages: def.languages,
          }),
        );
      }
      if (def.category === 'marketing' && !body.allowMarketing) {
        throw fieldError('body.allowMarketing', msg('campaign.marketing', { name: def.name }));
      }
      const audienceSize = await countAudience(db, body.audience, today());
      if (body.dryRun) {
        const price = opts.config.campaigns.priceIdr[def.category];
        return reply
          .code(200)
          .send(
            estimate(
              audienceSize,
              body.holdoutPercent,
              opts.config.whatsapp.mps,
              price,
              opts.config.whatsapp.messagingLimit ?? null,
            ),
          );
      }
      const [created] = await db
        .insert(campaigns)
        .values({
          name: body.name,
          templateName: def.name,
          templateLanguage: body.template.language,
          templateCategory: def.category,
          audience: body.audience,
          schedule: body.schedule ?? null,
          holdoutPercent: body.holdoutPercent,
          allowMarketing: body.allowMarketing,
          createdBy: request.apiKey?.name ?? null,
        })
        .returning({ id: campaigns.id, status: campaigns.status });
      return reply.code(201).send({ id: created!.id, status: created!.status, audienceSize });
    },
  );

  for (const action of ['start', 'pause', 'resume', 'cancel'] as const) {
    app.post(
      `/api/campaigns/:id/${action}`,
      {
        schema: {
          tags: ['campaigns'],
          params: idParams,
          errors: {
            404: notFound,
            409: errorResponse(`The campaign's status is not one it can ${action} from`),
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const by = request.apiKey?.name ?? 'unknown';
        const moved = await controlCampaign(
          { db, now, ...(opts.metrics ? { metrics: opts.metrics } : {}) },
          id,
          action,
          by,
        );
        if (moved.ok) return reply.code(202).send(moved.campaign);
        if (moved.reason === 'not_found') throw noCampaign(id);
        throw new AppError(
          'conflict',
          msg('campaign.cannot', { action, status: moved.status, allowed: moved.allowed }),
        );
      },
    );
  }

  app.get(
    '/api/costs',
    {
      schema: {
        tags: ['campaigns'],
        summary: "What WhatsApp charged, campaigns and the bot's own replies apart, at the rate card",
        querystring: z.object({
          from: z.iso.date(),
          to: z.iso.date(),
        }),
        errors: { 400: errorResponse('A date is not YYYY-MM-DD, or to is before from') },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      // whole days in BUSINESS_TZ, both ends included
      const tz = opts.config.businessTz;
      const range = { from: instantAt(from, 0, tz), to: instantAt(addDays(to, 1), 0, tz) };
      if (range.to <= range.from) {
        throw new AppError('invalid_request', msg('costs.range'), {
          issues: [{ path: 'querystring.to', message: msg('costs.range') }],
        });
      }
      const cost = await messagingCost(db, opts.config.campaigns.priceIdr, range);
      return { from, to, timeZone: tz, ...cost };
    },
  );

  app.get(
    '/api/campaigns/:id/impact',
    {
      schema: {
        tags: ['campaigns'],
        params: idParams,
        querystring: z.object({ days: z.coerce.number().int().min(1).max(365).default(14) }),
        errors: { 404: notFound, 409: errorResponse('The campaign has no holdout group to compare with') },
      },
    },
    async (request) => {
      const { id } = request.params;
      const [c] = await db
        .select({ holdoutPercent: campaigns.holdoutPercent })
        .from(campaigns)
        .where(eq(campaigns.id, id));
      if (!c) throw noCampaign(id);
      if (c.holdoutPercent === 0) throw new AppError('conflict', msg('campaign.no_holdout', { id }));
      return campaignImpact(db, id, request.query.days);
    },
  );

  app.get(
    '/api/campaigns/:id',
    { schema: { tags: ['campaigns'], params: idParams, errors: { 404: notFound } } },
    async (request) => {
      const { id } = request.params;
      const [c] = await db.select().from(campaigns).where(eq(campaigns.id, id));
      if (!c) throw noCampaign(id);
      const report = await campaignReport(db, id, opts.config.campaigns.priceIdr);
      const audienceSize = await audienceSizeOf(db, c, report.recipients, today());
      return {
        id: c.id,
        name: c.name,
        status: c.status,
        pauseReason: c.pauseReason,
        template: { name: c.templateName, language: c.templateLanguage, category: c.templateCategory },
        audience: c.audience,
        schedule: c.schedule,
        holdoutPercent: c.holdoutPercent,
        audienceSize,
        stats: report.stats,
        failuresByCode: report.failuresByCode,
        skippedByReason: report.skippedByReason,
        holdout: report.holdout,
        costIdr: report.costIdr,
        paidAfterIdr: report.paidAfterIdr,
        createdAt: c.createdAt.toISOString(),
        startedAt: c.startedAt?.toISOString() ?? null,
        completedAt: c.completedAt?.toISOString() ?? null,
      };
    },
  );
};
