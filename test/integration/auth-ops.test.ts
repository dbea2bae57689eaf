import { createHash } from 'node:crypto';
import { and, eq, notInArray } from 'drizzle-orm';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createApiKey, ensureBootstrapAdmin } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config.js';
import { apiKeys, auditLog } from '../../src/db/index.js';
import { createMetrics } from '../../src/metrics.js';
import { ADMIN_KEY, adminHeaders, startTestApp, type TestApp } from '../support/app.js';
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

interface KeyListing {
  id: number;
  name: string;
  role: string;
  createdAt: string;
  revokedAt: string | null;
}

describe.skipIf(!hasServers)('listing and revoking API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const create = async (name: string, role: 'admin' | 'agent', by = adminHeaders) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: by,
      payload: { name, role },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: number; key: string }>();
  };
  const revoke = (id: number | string, by: Record<string, string>) =>
    t.app.inject({ method: 'DELETE', url: `/api/keys/${id}`, headers: by });
  const list = async () =>
    (await t.app.inject({ url: '/api/keys', headers: adminHeaders })).json<KeyListing[]>();
  const works = async (key: string) =>
    (await t.app.inject({ url: '/api/handoffs', headers: as(key) })).statusCode;
  const revocations = () =>
    t.database.db.select().from(auditLog).where(eq(auditLog.action, 'api_key.revoke'));

  it('lists the keys with id, name, role and times, never a secret or its hash', async () => {
    const sari = await create('Sari', 'agent');
    const res = await t.app.inject({ url: '/api/keys', headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    const keys = res.json<KeyListing[]>();
    expect(keys.map((k) => [k.name, k.role, k.revokedAt])).toEqual([
      ['bootstrap-admin', 'admin', null],
      ['Sari', 'agent', null],
    ]);
    expect(Object.keys(keys[1]!).sort()).toEqual(['createdAt', 'id', 'name', 'revokedAt', 'role']);
    expect(Date.parse(keys[1]!.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    const [row] = await t.database.db.select().from(apiKeys).where(eq(apiKeys.id, sari.id));
    expect(res.body).not.toContain(sari.key);
    expect(res.body).not.toContain(row!.keyHash);
    expect((await t.app.inject({ url: '/api/keys', headers: as(sari.key) })).statusCode).toBe(403);
  });

  it('revokes a key at once, audited with who revoked it; a second time changes nothing', async () => {
    const budi = await create('Budi', 'agent');
    const lead = await create('Kepala (admin)', 'admin');
    expect(await works(budi.key)).toBe(200);
    const res = await revoke(budi.id, as(lead.key));
    expect(res.statusCode).toBe(200);
    const revoked = res.json<KeyListing>();
    expect(revoked).toMatchObject({ id: budi.id, name: 'Budi', role: 'agent' });
    expect(revoked.revokedAt).not.toBeNull();
    expect(await works(budi.key)).toBe(401);
    expect((await list()).find((k) => k.id === budi.id)?.revokedAt).toBe(revoked.revokedAt);
    expect(await revocations()).toEqual([
      expect.objectContaining({
        actor: 'key:Kepala (admin)',
        subject: 'Budi',
        details: { id: budi.id, role: 'agent' },
      }),
    ]);
    const again = await revoke(budi.id, adminHeaders);
    expect(again.statusCode).toBe(200);
    expect(again.json<KeyListing>().revokedAt).toBe(revoked.revokedAt);
    expect(await revocations()).toHaveLength(1);
  });

  it('answers 404 for an unknown key and 400 for an id that is not one', async () => {
    expect((await revoke(999_999, adminHeaders)).statusCode).toBe(404);
    expect((await revoke('abc', adminHeaders)).statusCode).toBe(400);
    expect((await revoke(99_999_999_999, adminHeaders)).statusCode).toBe(400);
  });

  it('revokes ADMIN_API_KEY for good (a restart with the same value keeps it revoked) and one’s own key, never the last admin key', async () => {
    const lead = (await list()).find((k) => k.name === 'Kepala (admin)')!;
    const leadKey = await create('Wakil', 'admin');
    const bootstrap = (await list()).find((k) => k.name === 'bootstrap-admin')!;
    expect((await revoke(bootstrap.id, as(leadKey.key))).statusCode).toBe(200);
    expect(await works(ADMIN_KEY)).toBe(401);
    expect(await ensureBootstrapAdmin(t.database.db, ADMIN_KEY)).toBe(false);
    expect(await works(ADMIN_KEY)).toBe(401);

    // Wakil revokes Kepala, then is the last admin key that works: not even Wakil may revoke it
    expect((await revoke(lead.id, as(leadKey.key))).statusCode).toBe(200);
    const last = await revoke(leadKey.id, as(leadKey.key));
    expect(last.statusCode).toBe(409);
    expect(last.json()).toMatchObject({ reason: 'last_admin' });
    expect(await works(leadKey.key)).toBe(200);

    // a new ADMIN_API_KEY value works again, and then Wakil may revoke its own key
    const fresh = 'a-new-admin-key-after-the-leak-0123';
    expect(await ensureBootstrapAdmin(t.database.db, fresh)).toBe(true);
    expect((await revoke(leadKey.id, as(leadKey.key))).statusCode).toBe(200);
    expect(await works(leadKey.key)).toBe(401);
    expect(await works(fresh)).toBe(200);
    expect((await revocations()).at(-1)).toMatchObject({
      actor: 'key:Wakil',
      subject: 'Wakil',
      details: { id: leadKey.id, role: 'admin', own: true },
    });
  });

  it('leaves one admin key that works when the last two admins revoke each other at once', async () => {
    const pair = [];
    for (const name of ['Rival A', 'Rival B']) {
      const created = await createApiKey(t.database.db, { name, role: 'admin' });
      if (created === 'name-taken') throw new Error(name);
      pair.push(created);
    }
    const [a, b] = pair as [(typeof pair)[number], (typeof pair)[number]];
    await t.database.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.role, 'admin'), notInArray(apiKeys.id, [a.id, b.id])));
    // Both revocations are held at the same moment behind a lock on the two keys, so that each reads the
    // keys while the other is under way, and then let go together.
    const holder = postgres(t.database.url, { max: 2, onnotice: () => {} });
    const waiting = async () =>
      (
        await holder<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`
      )[0]!.n;
    let racing: Promise<Awaited<ReturnType<typeof revoke>>[]> | undefined;
    await holder.begin(async (tx) => {
      await tx`select id from api_keys where id in (${a.id}, ${b.id}) for update`;
      racing = Promise.all([revoke(b.id, as(a.key)), revoke(a.id, as(b.key))]);
      for (let i = 0; i < 200 && (await waiting()) < 2; i++) await new Promise((r) => setTimeout(r, 25));
    });
    const answers = await racing!;
    await holder.end();
    expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(1);
    const admins = await t.database.db.select().from(apiKeys).where(eq(apiKeys.role, 'admin'));
    expect(admins.filter((k) => k.revokedAt === null)).toHaveLength(1);
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
      desk: t.desk,
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
      expect.arrayContaining([
        '/api/keys',
        '/api/keys/{id}',
        '/api/participants',
        '/api/bills',
        '/api/payments',
        '/healthz',
      ]),
    );
    expect((await t.app.inject('/docs')).statusCode).toBeLessThan(400);
  });
});
