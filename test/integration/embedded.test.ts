import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { describeMode, type Service, startService } from '../../src/service.js';
import { textMessage } from '../../src/whatsapp/index.js';
import { signedRequest, textWebhook } from '../support/webhooks.js';

// Embedded mode runs with no servers at all: PGlite, the in-process queue and the simulator.
describe('embedded mode (no DATABASE_URL, REDIS_URL or token)', () => {
  let service: Service;
  let dir: string;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tagih-embedded-'));
    const config = loadConfig({ DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    service = await startService(config);
    base = service.address;
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says in one line which parts are embedded and which variable switches each', () => {
    const line = describeMode(loadConfig({}));
    expect(line.split('\n')).toHaveLength(1);
    for (const variable of ['DATABASE_URL', 'REDIS_URL', 'WHATSAPP_ACCESS_TOKEN'])
      expect(line).toContain(variable);
  });

  it('keeps generated secrets in the data folder, readable only by the owner', () => {
    const file = join(dir, 'secrets.json');
    const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(secrets.dataKey!.length).toBeGreaterThanOrEqual(32);
    expect(service.secrets.dataKey).toBe(secrets.dataKey);
  });

  it('is healthy and ready, takes a signed webhook and imports participants with the generated admin key', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });

    const webhook = signedRequest(
      textWebhook({ from: '6281234567820', text: 'halo' }),
      service.secrets.appSecret,
    );
    const res = await fetch(`${base}/webhooks/whatsapp`, {
      method: 'POST',
      headers: webhook.headers,
      body: webhook.body,
    });
    expect(res.status).toBe(200);

    const imported = await fetch(`${base}/api/participants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${service.adminApiKey}`, 'content-type': 'text/csv' },
      body: 'kpj,name,phone,birthDate,category\n12345678920,"Suparman, S.Pd",0812-3456-7820,17-08-1970,BPU\n',
    });
    expect(imported.status).toBe(200);
    expect(await imported.json()).toMatchObject({ created: 1, updated: 0, rejected: [] });
  });

  it('sends through the in-process queue to the simulator, which accepts it with a wamid', async () => {
    const { messageId } = await service.outbound.enqueue({
      contactKey: '6281234567820',
      body: textMessage('6281234567820', 'Terima kasih'),
      priority: 'reply',
      origin: { kind: 'reply' },
    });
    let status = '';
    for (let i = 0; i < 50 && status !== 'accepted'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const history = await fetch(`${base}/api/participants/12345678920/messages`, {
        headers: { authorization: `Bearer ${service.adminApiKey}` },
      });
      const rows = (await history.json()) as { id: number; status: string }[];
      status = rows.find((r) => r.id === messageId)?.status ?? '';
    }
    expect(status).toBe('accepted');
  });
});
