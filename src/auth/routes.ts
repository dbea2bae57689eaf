import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditLog, type Db } from '../db/index.js';
import { createApiKey } from './keys.js';

const keyBody = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[\p{L}\p{N} ._@()-]+$/u, 'letters, digits, spaces and . _ @ ( ) - only'),
  role: z.enum(['admin', 'agent']),
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
            role: z.enum(['admin', 'agent']),
            key: z.string(),
          }),
          409: z.object({ error: z.string(), message: z.string() }),
        },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(db, request.body);
      if (created === 'name-taken') {
        return reply
          .code(409)
          .send({ error: 'Conflict', message: `A key named "${request.body.name}" exists` });
      }
      await db.insert(auditLog).values({
        actor: `key:${request.apiKey?.name ?? 'unknown'}`,
        action: 'api_key.create',
        subject: created.name,
        details: { role: created.role },
      });
      return reply.code(201).send(created);
    },
  );
};
