import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { apiKeys, auditLog } from '../../src/db/index.js';
import { createMetrics } from '../../src/metrics.js';
import { adminHeaders, startTestApp, type TestApp } from '../support/app.js';
import { hasServers } from '../support/servers.js';

describe.skipIf(!hasServers)('API keys and roles', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { API_RATE_PER_MINUTE: '40' } });
  });
  afterAll(() => t?.close());

  const createKey = (body: unknown, headers: Record<string, string> = adminHeaders) =>
    t.app.inject({ method: 'POST', url: '/api/keys', headers, payload: body as object });

  it('answers 401 without a key or with an unknown one', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/api/keys', payload: {} })).statusCode).toBe(401);
    const unknown = await createKey({ name: 'x', role: 'agent' }, { authorization: 'Bearer tgh_not-a-key' });
    expect(unknown.statusCode).toBe(401);
    expect((await createKey({ name: 'x', role: 'agent' }, { authorization: 'Basic abc' })).statusCode).toBe(
      401,
    );
  });

  it('creates a key shown once and stored only as its hash, and audits it', async () => {
    const res = await createKey({ name: 'Sari (loket 2)', role: 'agent' });
    expect(res.statusCode).toBe(201);
    const created = res.json<{ id: number; name: string; role: string; key: string }>();
    expect(created).toMatchObject({ name: 'Sari (loket 2)', role: 'agent' });
    expect(created.key).toMatch(/^tgh_[A-Za-z0-9_-]{43}$/);
    const [row] = await t.database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row?.keyHash).toBe(createHash('sha256').update(created.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.key);
    const audit = await t.database.db.select().from(auditLog).where(eq(auditLog.action, 'api_key.create'));
    expect(audit.at(-1)).toMatchObject({ actor: 'key:bootstrap-admin', subject: 'Sari (loket 2)' });
    expect(JSON.stringify(audit)).not.toContain(created.key);
  });

  it('answers 403 to an agent key on an admin route, and the new admin key works', async () => {
    const agent = (await createKey({ name: 'agent-1', role: 'agent' })).json<{ key: string }>().key;
    const forbidden = await createKey(
      { name: 'agent-2', role: 'agent' },
      { authorization: `Bearer ${agent}` },
    );
    expect(forbidden.statusCode).toBe(403);
    const admin = (await createKey({ name: 'admin-2', role: 'admin' })).json<{ key: string }>().key;
    expect(
      (await createKey({ name: 'agent-3', role: 'agent' }, { authorization: `Bearer ${admin}` })).statusCode,
    ).toBe(201);
  });

  it('refuses a taken name with 409 and a bad body with 400 naming the fields', async () => {
    await createKey({ name: 'dup', role: 'agent' });
    expect((await createKey({ name: 'dup', role: 'agent' })).statusCode).toBe(409);
    const bad = await createKey({ name: '', role: 'owner' });
    expect(bad.statusCode).toBe(400);
    const paths = bad.json<{ issues: { path: string }[] }>().issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['body.name', 'body.role']));
  });

  it('rate-limits the API per client', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 45; i++) {
      codes.push((await t.app.inject({ method: 'POST', url: '/api/keys', payload: {} })).statusCode);
    }
    expect(codes).toContain(429);
    expect(codes.indexOf(429)).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasServers)('operations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('is alive and ready when the database and Redis answer', async () => {
    expect((await t.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });
  });

  it('is not ready when Redis does not answer', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    deadRedis.on('error', () => {});
    const broken = await buildApp({
      config: loadConfig({}),
      database: t.database,
      redis: deadRedis,
      outbound: t.outbound,
      metrics: createMetrics(),
      dataKey: 'k'.repeat(32),
      appSecret: 'secret',
      verifyToken: 'token',
    });
    const res = await broken.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'not ready', checks: { database: 'ok' } });
    expect(res.json<{ checks: { redis: string } }>().checks.redis).not.toBe('ok');
    await broken.close();
    deadRedis.disconnect();
  });

  it('serves Prometheus metrics for sends, failures, queue depth and webhook latency', async () => {
    const res = await t.app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    for (const name of [
      'tagih_sends_total',
      'tagih_send_failures_total',
      'tagih_queue_depth',
      'tagih_webhook_duration_seconds',
      'tagih_send_possible_duplicates_total',
    ]) {
      expect(res.body).toContain(name);
    }
  });

  it('documents the API as OpenAPI generated from the route schemas', async () => {
    const spec = (await t.app.inject('/docs/json')).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/keys', '/api/participants', '/api/bills', '/api/payments', '/healthz']),
    );
    expect((await t.app.inject('/docs')).statusCode).toBeLessThan(400);
  });
});
