import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Gauge } from 'prom-client';
import { z } from 'zod';
import type { Config } from '../config.js';
import { createTranslator } from '../conversations/index.js';
import type { Db } from '../db/index.js';
import type { Metrics } from '../metrics.js';
import type { Outbound } from '../outbound/index.js';
import { type Agent, createDesk, type Desk, type Refusal } from './desk.js';

export interface HandoffRoutesOptions {
  db: Db;
  outbound: Outbound;
  config: Pick<Config, 'handoff' | 'businessTz'>;
  metrics?: Metrics;
  now?: () => Date;
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
function refuse(reply: FastifyReply, id: number, r: Refusal) {
  switch (r.reason) {
    case 'not_found':
      return reply.code(404).send({ error: 'Not Found', reason: r.reason, message: `No handoff ${id}` });
    case 'resolved':
      return reply.code(409).send({
        error: 'Conflict',
        reason: r.reason,
        message: 'This conversation is resolved: the bot has it again',
      });
    case 'held':
      return reply.code(409).send({
        error: 'Conflict',
        reason: r.reason,
        assignedTo: r.assignedTo,
        message: `${r.assignedTo ?? 'Another agent'} holds this conversation`,
      });
    case 'not_claimed':
      return reply
        .code(409)
        .send({ error: 'Conflict', reason: r.reason, message: 'Claim this conversation first' });
    case 'window_closed':
      return reply.code(409).send({
        error: 'Conflict',
        reason: r.reason,
        windowClosedAt: r.windowClosedAt,
        reengage: r.reengage,
        message:
          `The 24-hour window is closed${r.windowClosedAt ? ` (since ${r.windowClosedAt})` : ''}: WhatsApp ` +
          'accepts only an approved template now. ' +
          (r.reengage
            ? `Send the re-engagement template ${r.reengage.template} (${r.reengage.method} ${r.reengage.url}); ` +
              'when the participant answers, the window opens again.'
            : 'No template applies to this sender (not registered, opted out, or nothing owed).'),
      });
    case 'no_link_request':
      return reply.code(409).send({
        error: 'Conflict',
        reason: r.reason,
        message: 'This conversation has no link request waiting for a decision',
      });
    case 'number_registered':
      return reply.code(409).send({
        error: 'Conflict',
        reason: r.reason,
        message:
          'Someone has since been registered on this number: it belongs to them, and cannot be linked to another participant',
      });
    case 'no_template':
      return reply.code(409).send({
        error: 'Conflict',
        reason: r.reason,
        message: `No re-engagement template can go: ${r.detail}`,
      });
  }
}

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

/** The agents' API (CONTRACT.md, handoff rows); registered inside a scope guarded for agent and admin. */
export const handoffRoutes: FastifyPluginAsync<HandoffRoutesOptions> = async (scope, opts) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const desk = createDesk({
    db: opts.db,
    outbound: opts.outbound,
    t: createTranslator(),
    config: opts.config,
    ...(opts.now ? { now: opts.now } : {}),
  });
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
      },
    },
    async (request, reply) => {
      const view = await desk.view(request.params.id);
      return view ?? refuse(reply, request.params.id, { reason: 'not_found' });
    },
  );

  app.get(
    '/api/handoffs/:id/canned',
    {
      schema: {
        tags,
        summary: 'Canned answers from the locale texts, in the participant language',
        params: idParams,
      },
    },
    async (request, reply) => {
      const canned = await desk.canned(request.params.id);
      return canned ?? refuse(reply, request.params.id, { reason: 'not_found' });
    },
  );

  app.post(
    '/api/handoffs/:id/claim',
    { schema: { tags, summary: 'Take the conversation (409 if another holds it)', params: idParams } },
    async (request, reply) => {
      const r = await desk.claim(request.params.id, agentOf(request));
      return r.ok ? r.handoff : refuse(reply, request.params.id, r);
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
      },
    },
    async (request, reply) => {
      const r = await desk.reply(request.params.id, agentOf(request), request.body.text);
      if (!r.ok) return refuse(reply, request.params.id, r);
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
      },
    },
    async (request, reply) => {
      const r = await desk.reengage(request.params.id, agentOf(request));
      if (!r.ok) return refuse(reply, request.params.id, r);
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
        },
      },
      async (request, reply) => {
        const r = await desk.decideLink(request.params.id, agentOf(request), decision);
        return r.ok
          ? { linkRequest: r.linkRequest, notified: r.notified }
          : refuse(reply, request.params.id, r);
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
      },
    },
    async (request, reply) => {
      const r = await desk.resolve(request.params.id, agentOf(request));
      return r.ok ? { ...r.handoff, notified: r.notified } : refuse(reply, request.params.id, r);
    },
  );
};
