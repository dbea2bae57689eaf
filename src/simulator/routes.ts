import { asc, eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type Db, participants } from '../db/index.js';
import { AppError, msg } from '../errors/index.js';
import { findParticipantByWaId, getBalance, importPayments } from '../participants/index.js';
import type { SimInput, Simulator } from './simulator.js';
import { viewOf } from './view.js';

// The simulator page's backend. Registered only when the simulator is the Cloud API (embedded mode), so a
// production service has no such routes. It holds synthetic data only and asks for no key: it is the
// participant's phone, not an officer's tool.

export interface SimulatorRoutesOptions {
  db: Db;
  simulator: Simulator;
}

const waIdParams = z.object({ waId: z.string().regex(/^\d{8,15}$/) });
const contextId = z.string().max(200).optional();
const inputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: z.string().trim().min(1).max(4096) }),
  z.object({
    kind: z.literal('button'),
    payload: z.string().min(1).max(256),
    title: z.string().max(60),
    contextId,
  }),
  z.object({
    kind: z.enum(['button_reply', 'list_reply']),
    id: z.string().min(1).max(256),
    title: z.string().max(60),
    contextId,
  }),
]);

export const simulatorRoutes: FastifyPluginAsync<SimulatorRoutesOptions> = async (scope, opts) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const { db, simulator } = opts;
  const schema = { tags: ['simulator'], hide: true };

  app.get('/simulator/api/participants', { schema }, async () => {
    const rows = await db
      .select({
        kpj: participants.kpj,
        name: participants.name,
        waId: participants.waId,
        category: participants.category,
        language: participants.language,
        unpaid:
          sql<number>`(select count(*) from bills b where b.participant_id = "participants"."id" and b.paid_at is null and b.due_date < current_date)`.mapWith(
            Number,
          ),
      })
      .from(participants)
      .orderBy(asc(participants.id))
      .limit(1000);
    const active = simulator.active();
    const rank = new Map(active.map((waId, i) => [waId, i]));
    // chats with activity first, newest first; then everyone else in import order
    return rows
      .map((r) => ({ ...r, messages: simulator.chat(r.waId).length }))
      .sort(
        (a, b) =>
          (rank.get(a.waId) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.waId) ?? Number.MAX_SAFE_INTEGER),
      );
  });

  app.get('/simulator/api/chats/:waId', { schema: { ...schema, params: waIdParams } }, async (request) => {
    const { waId } = request.params;
    const [participant] = await db
      .select({ kpj: participants.kpj, name: participants.name, category: participants.category })
      .from(participants)
      .where(eq(participants.waId, waId))
      .limit(1);
    return { waId, participant: participant ?? null, messages: simulator.chat(waId).map(viewOf) };
  });

  // the participant has the chat on screen: what was delivered is now read
  app.post(
    '/simulator/api/chats/:waId/read',
    { schema: { ...schema, params: waIdParams } },
    async (request) => {
      await simulator.see(request.params.waId);
      return { ok: true };
    },
  );

  app.post(
    '/simulator/api/chats/:waId/messages',
    { schema: { ...schema, params: waIdParams, body: inputSchema } },
    async (request, reply) => {
      const { waId } = request.params;
      const participant = await findParticipantByWaId(db, waId);
      const entry = await simulator.write(waId, participant?.name ?? 'Peserta', request.body as SimInput);
      return reply.code(202).send(viewOf(entry));
    },
  );

  // A payment at a bank for every unpaid bill of the participant, recorded through the import code the
  // payments API uses: the funnel's `paid` moves as it would when the bank's file arrives.
  app.post(
    '/simulator/api/chats/:waId/pay',
    { schema: { ...schema, params: waIdParams } },
    async (request) => {
      const participant = await findParticipantByWaId(db, request.params.waId);
      if (!participant) throw new AppError('not_found', msg('participant.not_on_number'));
      const balance = await getBalance(db, participant.id);
      const stamp = Date.now();
      const rows = balance.unpaid
        .filter((b) => b.outstanding > 0)
        .map((b) => ({
          reference: `SIM-${participant.kpj}-${b.period}-${stamp}`,
          kpj: participant.kpj,
          period: b.period,
          amount: b.outstanding,
          paidAt: new Date().toISOString(),
          channel: 'DANA (simulator)',
        }));
      const result = await importPayments(db, rows, { actor: 'simulator', source: 'json' });
      return { recorded: result.recorded, total: rows.reduce((s, r) => s + r.amount, 0) };
    },
  );
};
