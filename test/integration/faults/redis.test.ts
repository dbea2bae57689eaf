import { eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { messages } from '../../../src/db/index.js';
import { type Service, startService } from '../../../src/service.js';
import type { OutboundBody } from '../../../src/whatsapp/index.js';
import { APP_SECRET, adminHeaders, captureCloudApi, testEnv } from '../../support/app.js';
import { type OwnRedis, startOwnRedis } from '../../support/redis-server.js';
import { createTestDatabase, hasServers, type TestDatabase } from '../../support/servers.js';
import { signedRequest, textWebhook } from '../../support/webhooks.js';

// The service as production wires it (service.ts), on a Redis of this file's own that the tests stop and
// start again: a fault may delay work, never lose or block it.

interface Sent {
  to: string;
  type: string;
}

describe.skipIf(!hasServers)('Redis goes away and comes back', () => {
  let redis: OwnRedis;
  let database: TestDatabase;
  let service: Service;
  const log: string[] = [];
  const sent: Sent[] = [];
  const to = (waId: string) => sent.filter((b) => b.to === waId);

  beforeAll(async () => {
    redis = await startOwnRedis();
    database = await createTestDatabase();
    const config = loadConfig({
      ...testEnv(database.url, redis.url),
      QUIET_HOURS: '',
      OUTBOUND_SWEEP_SECONDS: '1',
    });
    captureCloudApi(sent);
    service = await startService(config, {
      listen: false,
      logDestination: { write: (line: string) => void log.push(line) },
    });
  });
  afterAll(async () => {
    await redis?.start();
    await service?.stop();
    await database?.close();
    await redis?.stop();
    nock.cleanAll();
  });

  const webhook = (from: string, text: string) => {
    const req = signedRequest(textWebhook({ from, text }), APP_SECRET);
    return service.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: req.headers,
      payload: req.body,
    });
  };

  it('records webhooks and answers the API while Redis is away, and logs the outage through pino', async () => {
    const stderr = vi.spyOn(console, 'error');
    await redis.stop();

    const res = await webhook('6281200000001', 'menu');
    expect(res.statusCode).toBe(200);
    const recorded = await database.db
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.contactKey, '6281200000001'));
    expect(recorded).toHaveLength(1);

    const api = await service.app.inject({ method: 'GET', url: '/api/handoffs', headers: adminHeaders });
    expect(api.statusCode).toBe(200);
    const ready = await service.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);

    // a few reconnection attempts have failed by now: one line each would be a flood
    await new Promise((r) => setTimeout(r, 1500));
    const lines = log.map((l) => JSON.parse(l) as { msg: string; redis?: string });
    const failed = lines.filter((l) => l.msg === 'redis: connection failed; retrying');
    expect(failed.map((l) => l.redis).sort()).toEqual(['outbound', 'rate-limits', 'state']);
    expect(stderr.mock.calls.flat().join(' ')).not.toContain('[ioredis]');
    stderr.mockRestore();
  }, 30_000);

  it('answers what was recorded during the outage once Redis is back, once', async () => {
    await redis.start();
    await expect.poll(() => to('6281200000001').length, { timeout: 30_000, interval: 200 }).toBe(1);
    const [row] = await database.db
      .select({ handledAt: messages.handledAt })
      .from(messages)
      .where(eq(messages.contactKey, '6281200000001'));
    expect(row?.handledAt).not.toBeNull();
    const lines = log.map((l) => JSON.parse(l) as { msg: string; redis?: string });
    expect(lines.some((l) => l.msg === 'redis: reachable again' && l.redis === 'state')).toBe(true);
  }, 40_000);

  it('sends queued messages whose jobs a Redis restart lost, and nothing accepted again', async () => {
    const template = (waId: string): OutboundBody => ({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: waId,
      type: 'template',
      template: { name: 'iuran_reminder', language: { code: 'id' } },
    });
    const accepted = await service.outbound.enqueue({
      contactKey: '6281200000002',
      body: template('6281200000002'),
      priority: 'blast',
      origin: { kind: 'notice' },
    });
    await expect.poll(() => to('6281200000002').length, { timeout: 10_000 }).toBe(1);
    // held in Redis for ten minutes: only its job knows to send it
    const held = await service.outbound.enqueue({
      contactKey: '6281200000003',
      body: template('6281200000003'),
      priority: 'blast',
      origin: { kind: 'notice' },
      delayMs: 600_000,
    });
    expect(held.duplicate).toBe(false);

    await redis.stop();
    await redis.start();

    await expect.poll(() => to('6281200000003').length, { timeout: 20_000, interval: 200 }).toBe(1);
    await new Promise((r) => setTimeout(r, 2500));
    expect(to('6281200000002')).toHaveLength(1);
    expect(to('6281200000003')).toHaveLength(1);
    const [row] = await database.db
      .select({ status: messages.status })
      .from(messages)
      .where(eq(messages.id, accepted.messageId));
    expect(row?.status).toBe('accepted');
  }, 40_000);
});
