import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Gauge } from 'prom-client';
import { z } from 'zod';
import { AppError, errorResponse, msg } from '../errors/index.js';
import type { Metrics } from '../metrics.js';
import { type Agent, type Desk, REENGAGE_TEMPLATE, type Refusal } from './desk.js';

export interface HandoffRoutesOptions {
  desk: Desk;
  metrics?: Metrics;
}

const idParams = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });
const listQuery = z.object({ status: z.enum(['waiting', 'assigned', 'resolved']).optional() });
const replyBody = z.object({
  // the Cloud API's limit for a text body
  text: z
    .string()
    .max(4096)
    .refine((s) => s.trim() !== '', 'must not be empty'),
});

/** The refusal as an agent reads it: 404 for a handoff that does not exist, else 409 with the reason. */
function refusal(id: number, r: Refusal): AppError {
  const why = { reason: r.reason };
  switch (r.reason) {
    case 'not_found':
      return new AppError('not_found', msg('handoff.not_found', { id }), why);
    case 'resolved':
      return new AppError('conflict', msg('handoff.resolved'), why);
    case 'held':
      return new AppError('conflict', msg('handoff.held', { assignedTo: r.assignedTo }), {
        ...why,
        details: { assignedTo: r.assignedTo },
      });
    case 'not_claimed':
      return new AppError('conflict', msg('handoff.not_claimed'), why);
    case 'window_closed':
      return new AppError(
        'conflict',
        msg('handoff.window_closed', { since: r.windowClosedAt, reengage: r.reengage }),
        {
          ...why,
          details: { windowClosedAt: r.windowClosedAt, reengage: r.reengage },
        },
      );
    case 'no_link_request':
      return new AppError('conflict', msg('handoff.no_link_request'), why);
    case 'number_registered':
      return new AppError('conflict', msg('handoff.number_registered'), why);
    case 'no_template':
      return new AppError(
        'conflict',
        msg('handoff.no_template', { why: r.detail, template: REENGAGE_TEMPLATE }),
        why,
      );
  }
}

const refusalReasons = z.enum([
  'resolved',
  'held',
  'not_claimed',
  'window_closed',
  'no_template',
  'no_link_request',
  'number_registered',
]);
const notFound = errorResponse('No handoff with this id', { reason: z.literal('not_found') });
/** The 409 of the agents' actions: `reason` says which refusal; some carry what the inbox shows with it. */
const refused = errorResponse("The conversation's state refuses this action (reason)", {
  reason: refusalReasons,
  assignedTo: z.string().nullable().optional().describe('held: who holds it'),
  windowClosedAt: z.string().nullable().optional().describe('window_closed: since when'),
  reengage: z
    .object({
      template: z.string(),
      language: z.enum(['id', 'en']),
      method: z.literal('POST'),
      url: z.string(),
    })
    .nullable()
    .optional()
    .describe('window_closed: the template that can reopen the window, and where to send it'),
});
const actionErrors = { 404: notFound, 409: refused };

const agentOf = (request: FastifyRequest): Agent => {
  // roleGuard ran first: every request that reaches a handler has a key
  const key = request.apiKey!;
  return { name: key.name, role: key.role };
};

/** Registers the handoff gauges once per registry; they are read from PostgreSQL at each scrape. */
function registerGauges(metrics: Metrics, desk: Desk): void {
  if (metrics.registry.getSingleMetric('tagih_handoffs_overdue')) return;
  // a database that does not answer keeps the last values rather than failing the whole scrape
  const counts = () => desk.counts().catch(() => null);
  // Counted from the table at scrape time, so every process reports the same truth with no job to keep it.
  new Gauge({
    name: 'tagih_handoffs_open',
    help: 'Open handoffs by status (waiting, assigned)',
    labelNames: ['status'],
    registers: [metrics.registry],
    async collect() {
      const c = await counts();
      if (!c) return;
      this.set({ status: 'waiting' }, c.waiting);
      this.set({ status: 'assigned' }, c.assigned);
    },
  });
  new Gauge({
    name: 'tagih_handoffs_overdue',
    help: 'Handoffs waiting longer than HANDOFF_OVERDUE_MINUTES',
    registers: [metrics.registry],
    async collect() {
      const c = await counts();
      if (c) this.set(c.overdue);
    },
  });
}

/** The agents' API (README, Agent inbox); registered inside a scope guarded for agent and admin. */
export const handoffRoutes: FastifyPluginAsync<HandoffRoutesOptions> = async (scope, opts) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const { desk } = opts;
  if (opts.metrics) registerGauges(opts.metrics, desk);
  const tags = ['handoffs'];

  app.get(
    '/api/inbox/me',
    { schema: { tags, summary: 'Who the key belongs to (the inbox page asks)' } },
    async (request) => agentOf(request),
  );

  app.get(
    '/api/handoffs',
    {
      schema: { tags, summary: 'Handoffs by status (default: waiting and assigned)', querystring: listQuery },
    },
    async (request) => desk.list(request.query.status),
  );

  app.get(
    '/api/handoffs/:id',
    {
      schema: {
        tags,
        summary: 'One conversation: participant, bills, payments, consent, messages',
        params: idParams,
        errors: { 404: notFound },
      },
    },
    async (request) => {
      const view = await desk.view(request.params.id);
      if (!view) throw refusal(request.params.id, { reason: 'not_found' });
      return view;
    },
  );

  app.get(
    '/api/handoffs/:id/canned',
    {
      schema: {
        tags,
        summary: 'Canned answers from the locale texts, in the participant language',
        params: idParams,
        errors: { 404: notFound },
      },
    },
    async (request) => {
      const canned = await desk.canned(request.params.id);
      if (!canned) throw refusal(request.params.id, { reason: 'not_found' });
      return canned;
    },
  );

  app.post(
    '/api/handoffs/:id/claim',
    {
      schema: {
        tags,
        summary: 'Take the conversation (409 if another holds it)',
        params: idParams,
        errors: actionErrors,
      },
    },
    async (request) => {
      const r = await desk.claim(request.params.id, agentOf(request));
      if (!r.ok) throw refusal(request.params.id, r);
      return r.handoff;
    },
  );

  app.post(
    '/api/handoffs/:id/messages',
    {
      schema: {
        tags,
        summary: 'A free-form reply inside the 24-hour window (409 outside it)',
        params: idParams,
        body: replyBody,
        errors: actionErrors,
      },
    },
    async (request, reply) => {
      const r = await desk.reply(request.params.id, agentOf(request), request.body.text);
      if (!r.ok) throw refusal(request.params.id, r);
      return reply
        .code(202)
        .send({ messageId: r.messageId, status: 'queued', windowClosesAt: r.windowClosesAt });
    },
  );

  app.post(
    '/api/handoffs/:id/reengage',
    {
      schema: {
        tags,
        summary: 'Send the re-engagement template when the window has closed',
        params: idParams,
        errors: actionErrors,
      },
    },
    async (request, reply) => {
      const r = await desk.reengage(request.params.id, agentOf(request));
      if (!r.ok) throw refusal(request.params.id, r);
      return reply.code(202).send({ messageId: r.messageId, status: 'queued', duplicate: r.duplicate });
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/api/handoffs/:id/link/${decision}`,
      {
        schema: {
          tags,
          summary:
            decision === 'approve'
              ? "Approve the conversation's link request: the sender may then see the participant's bills"
              : "Reject the conversation's link request",
          params: idParams,
          errors: actionErrors,
        },
      },
      async (request) => {
        const r = await desk.decideLink(request.params.id, agentOf(request), decision);
        if (!r.ok) throw refusal(request.params.id, r);
        return { linkRequest: r.linkRequest, notified: r.notified };
      },
    );
  }

  app.post(
    '/api/handoffs/:id/resolve',
    {
      schema: {
        tags,
        summary: 'Give the conversation back to the bot, which tells the participant',
        params: idParams,
        errors: actionErrors,
      },
    },
    async (request) => {
      const r = await desk.resolve(request.params.id, agentOf(request));
      if (!r.ok) throw refusal(request.params.id, r);
      return { ...r.handoff, notified: r.notified };
    },
  );
};
