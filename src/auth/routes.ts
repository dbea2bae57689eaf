import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditLog, type Db } from '../db/index.js';
import { AppError, errorResponse, msg } from '../errors/index.js';
import { type ApiKeyListing, createApiKey, listApiKeys, revokeApiKey } from './keys.js';

const role = z.enum(['admin', 'agent']);

const keyBody = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[\p{L}\p{N} ._@()-]+$/u, 'letters, digits, spaces and . _ @ ( ) - only'),
  role,
});

const keyListing = z.object({
  id: z.number(),
  name: z.string(),
  role,
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});

const listed = (k: ApiKeyListing) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

export const keyRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/api/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Create an API key (admin). The key is shown once and stored hashed.',
        body: keyBody,
        response: {
          201: z.object({
            id: z.number(),
            name: z.string(),
            role,
            key: z.string(),
          }),
        },
        errors: { 409: errorResponse('A key with this name exists') },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(db, request.body);
      if (created === 'name-taken')
        throw new AppError('conflict', msg('key.name_taken', { name: request.body.name }));
      await db.insert(auditLog).values({
        actor: `key:${request.apiKey?.name ?? 'unknown'}`,
        action: 'api_key.create',
        subject: created.name,
        details: { role: created.role },
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'List the API keys (admin), revoked ones included, without their secrets.',
        response: { 200: z.array(keyListing) },
      },
    },
    async () => (await listApiKeys(db)).map(listed),
  );

  app.delete(
    '/api/keys/:id',
    {
      schema: {
        tags: ['keys'],
        summary:
          'Revoke an API key at once (admin): the next request with it is answered 401. Any key may go, ' +
          "the caller's own and ADMIN_API_KEY's included (it stays revoked across restarts until the " +
          'variable gets a new value), except the last working admin key (409). Revoking a revoked key ' +
          'changes nothing.',
        params: z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) }),
        response: { 200: keyListing },
        errors: {
          404: errorResponse('No key with this id'),
          409: errorResponse('The last admin key that works', { reason: z.literal('last_admin') }),
        },
      },
    },
    async (request, reply) => {
      const result = await revokeApiKey(db, request.params.id, request.apiKey!);
      switch (result.outcome) {
        case 'not-found':
          throw new AppError('not_found', msg('key.not_found', { id: request.params.id }));
        case 'last-admin':
          throw new AppError('conflict', msg('key.last_admin'), { reason: 'last_admin' });
        default:
          return reply.code(200).send(listed(result.key));
      }
    },
  );
};
