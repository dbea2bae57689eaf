import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { seedDemo } from '../../../src/demo/run.js';
import { DEMO_PERSONA } from '../../../src/demo/seed.js';
import { type Service, startService } from '../../../src/service.js';

// The simulator goes through the product's own webhook: what it says a participant wrote, and the statuses
// of what it was sent, arrive as signed webhooks and end up in the message history like Meta's would.

describe('embedded simulator', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tagih-sim-'));
  let service: Service;
  const waId = '6281234567801';

  beforeAll(async () => {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    service = await startService(config);
    await seedDemo(service, config);
  }, 30_000);
  afterAll(async () => {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('inbound and statuses take the signed webhook road; the page is served under the CSP', async () => {
    const sim = service.simulator!;
    expect(sim).toBeDefined();
    await sim.write(waId, DEMO_PERSONA.name, { kind: 'text', text: 'MENU' });
    await expect.poll(() => sim.chat(waId).filter((e) => e.direction === 'out').length).toBe(1);
    const menu = sim.chat(waId).find((e) => e.direction === 'out')!;
    expect(menu.body).toMatchObject({ messaging_product: 'whatsapp', to: waId, type: 'interactive' });
    await expect.poll(() => menu.status, { timeout: 5000 }).toBe('delivered');
    await sim.see(waId);

    const headers = { authorization: `Bearer ${service.adminApiKey}` };
    const res = await service.app.inject({ url: `/api/participants/${DEMO_PERSONA.kpj}/messages`, headers });
    const history = res.json<{ direction: string; type: string; status: string | null }[]>();
    expect(history.map((m) => [m.direction, m.type])).toEqual([
      ['in', 'text'],
      ['out', 'interactive'],
    ]);
    await expect
      .poll(async () => {
        const again = await service.app.inject({
          url: `/api/participants/${DEMO_PERSONA.kpj}/messages`,
          headers,
        });
        return again.json<{ status: string | null }[]>()[1]?.status;
      })
      .toBe('read');

    const page = await service.app.inject({ url: '/simulator' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  }, 30_000);
});
