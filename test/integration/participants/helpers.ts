import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Db } from '../../../src/db/index.js';
import { errorHandling } from '../../../src/errors/index.js';
import { participantRoutes } from '../../../src/participants/index.js';

export const DATA_KEY = 'a-data-key-for-participant-tests-0123456789';

/** Just this room's routes, as the lead mounts them: zod compilers, the service's error handling, no auth. */
export async function buildParticipantsApp(
  db: Db,
  opts: { requestProps?: Record<string, unknown> } = {},
): Promise<FastifyInstance> {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(errorHandling);
  const props = opts.requestProps;
  // Stands in for the auth scope, which leaves the key's holder on the request.
  if (props) {
    app.addHook('onRequest', async (request) => {
      Object.assign(request, props);
    });
  }
  await app.register(participantRoutes, { db, dataKey: DATA_KEY, timeZone: 'Asia/Jakarta' });
  await app.ready();
  return app;
}

export const csv = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;

export const participant = (kpj: string, over: Record<string, unknown> = {}) => ({
  kpj,
  name: `Peserta ${kpj}`,
  phone: `0812${kpj.slice(-8)}`,
  birthDate: '17-08-1980',
  category: 'BPU',
  ...over,
});
