import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Service, startService } from '../../src/service.js';

// The one error shape, on the service as a newcomer runs it (embedded: no servers needed): every route's
// error answers are in /docs, and each answer is in the caller's language.

interface Operation {
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
}
interface JsonSchema {
  properties?: Record<string, unknown>;
  required?: string[];
}
interface OpenApi {
  security?: unknown[];
  paths: Record<string, Record<string, Operation>>;
}

describe('error answers', () => {
  let service: Service;
  let dir: string;
  let agentKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tagih-errors-'));
    service = await startService(
      loadConfig({ DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
    );
    const created = await service.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: { authorization: `Bearer ${service.adminApiKey}` },
      payload: { name: 'agent-errors', role: 'agent' },
    });
    agentKey = created.json<{ key: string }>().key;
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = () => ({ authorization: `Bearer ${service.adminApiKey}` });
  const id = { 'accept-language': 'id-ID,id;q=0.9,en;q=0.8' };

  describe('in /docs', () => {
    /** What every route of its kind can answer: the same rule the service documents them by, from the document. */
    function expectedErrors(spec: OpenApi, method: string, op: Operation): string[] {
      const codes = ['500', '503'];
      const security = op.security ?? spec.security ?? [];
      if (security.length > 0) codes.push('401', '403', '429');
      const takesBody = method !== 'get' && method !== 'head';
      if (takesBody || (op.parameters?.length ?? 0) > 0) codes.push('400');
      if (takesBody) codes.push('413', '415');
      return codes;
    }

    it('documents every error a route answers, each in the one shape and saying what it means', async () => {
      const spec = (await service.app.inject('/docs/json')).json<OpenApi>();
      const missing: string[] = [];
      const misshapen: string[] = [];
      let operations = 0;
      for (const [path, methods] of Object.entries(spec.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          operations++;
          const route = `${method.toUpperCase()} ${path}`;
          for (const status of expectedErrors(spec, method, op))
            if (!op.responses[status]) missing.push(`${route} ${status}`);
          if (!Object.keys(op.responses).some((s) => s.startsWith('2'))) missing.push(`${route} 2xx`);
          for (const [status, response] of Object.entries(op.responses)) {
            if (/^[23]/.test(status)) continue;
            const schema = response.content?.['application/json']?.schema;
            const shaped = ['error', 'message', 'issues'].every(
              (field) => schema?.properties?.[field] && schema.required?.includes(field),
            );
            if (!shaped || response.description === 'Default Response') misshapen.push(`${route} ${status}`);
          }
        }
      }
      expect(operations).toBeGreaterThan(25);
      expect(missing).toEqual([]);
      expect(misshapen).toEqual([]);
    });

    it("documents a route's own errors with the fields clients read", async () => {
      const spec = (await service.app.inject('/docs/json')).json<OpenApi>();
      const claim = spec.paths['/api/handoffs/{id}/claim']!.post!;
      expect(Object.keys(claim.responses)).toEqual(expect.arrayContaining(['404', '409']));
      const conflict = claim.responses['409']!.content!['application/json']!.schema!;
      expect(Object.keys(conflict.properties!)).toEqual(
        expect.arrayContaining(['reason', 'assignedTo', 'windowClosedAt', 'reengage']),
      );
      expect(Object.keys(spec.paths['/api/campaigns/{id}/start']!.post!.responses)).toEqual(
        expect.arrayContaining(['404', '409']),
      );
      expect(spec.paths['/healthz']!.get!.security).toEqual([]);
      expect(spec.paths['/healthz']!.get!.responses['401']).toBeUndefined();
    });
  });

  describe("in the caller's language", () => {
    it('answers in English to a caller who asks for none, or for one we do not have', async () => {
      for (const headers of [{}, { 'accept-language': 'fr-FR,fr;q=0.9' }]) {
        const res = await service.app.inject({ url: '/api/keys', headers });
        expect(res.statusCode).toBe(401);
        expect(res.json()).toEqual({
          error: 'Unauthorized',
          message: 'A valid API key is required (Authorization: Bearer <key>)',
          issues: [],
        });
      }
    });

    it('refuses a missing key and a role in Indonesian', async () => {
      const none = await service.app.inject({ url: '/api/keys', headers: id });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer');
      expect(none.json()).toEqual({
        error: 'Unauthorized',
        message: 'Perlu kunci API yang sah (Authorization: Bearer <kunci>)',
        issues: [],
      });
      const agent = await service.app.inject({
        url: '/api/keys',
        headers: { ...id, authorization: `Bearer ${agentKey}` },
      });
      expect(agent.statusCode).toBe(403);
      expect(agent.json().message).toBe('Ini perlu peran admin; kunci ini berperan agent');
    });

    it("names the wrong fields with zod's Indonesian, keeping the schema's own words", async () => {
      const res = await service.app.inject({
        method: 'POST',
        url: '/api/campaigns',
        headers: { ...id, ...admin() },
        payload: { name: 'Pengingat', template: { name: 'iuran_reminder', language: 'fr' } },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: 'Bad Request',
        message: 'body.template.language: Pilihan tidak valid: diharapkan salah satu dari "id"|"en"',
        issues: [
          {
            path: 'body.template.language',
            message: 'Pilihan tidak valid: diharapkan salah satu dari "id"|"en"',
          },
        ],
      });
      const kpj = await service.app.inject({
        url: '/api/participants/12ab/messages',
        headers: { ...id, ...admin() },
      });
      expect(kpj.json()).toEqual({
        error: 'Bad Request',
        message: 'params.kpj: must be 11 digits',
        issues: [{ path: 'params.kpj', message: 'must be 11 digits' }],
      });
    });

    it("says a route's own refusals, a body it cannot read and an unknown address in Indonesian", async () => {
      const campaign = await service.app.inject({
        method: 'POST',
        url: '/api/campaigns/999999/start',
        headers: { ...id, ...admin() },
      });
      expect(campaign.statusCode).toBe(404);
      expect(campaign.json()).toEqual({
        error: 'Not Found',
        message: 'Tidak ada kampanye 999999',
        issues: [],
      });

      const template = await service.app.inject({
        method: 'POST',
        url: '/api/campaigns',
        headers: { ...id, ...admin() },
        payload: { name: 'Pengingat', template: { name: 'tidak_ada' } },
      });
      expect(template.statusCode).toBe(400);
      expect(template.json()).toEqual({
        error: 'Bad Request',
        message: 'Template "tidak_ada" tidak ada di registri template',
        issues: [
          { path: 'body.template.name', message: 'Template "tidak_ada" tidak ada di registri template' },
        ],
      });

      const broken = await service.app.inject({
        method: 'POST',
        url: '/api/campaigns',
        headers: { ...id, ...admin(), 'content-type': 'application/json' },
        payload: '{"name": ',
      });
      expect(broken.statusCode).toBe(400);
      expect(broken.json()).toEqual({
        error: 'Bad Request',
        message: 'Isi permintaan tidak dapat dibaca.',
        issues: [],
      });

      const nowhere = await service.app.inject({ url: '/api/nothing', headers: id });
      expect(nowhere.statusCode).toBe(404);
      expect(nowhere.json()).toEqual({
        error: 'Not Found',
        message: 'Alamat GET /api/nothing tidak ada',
        issues: [],
      });
    });
  });
});
