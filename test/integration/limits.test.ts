import { createHash } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/index.js';
import { postWebhook, startTestApp, type TestApp } from '../support/app.js';
import { hasServers } from '../support/servers.js';
import {
  envelope,
  randomWamid,
  statusWebhook,
  TEST_DISPLAY_PHONE_NUMBER,
  TEST_PHONE_NUMBER_ID,
} from '../support/webhooks.js';

// Limits that fit how a branch works: every officer behind the office's one address has a budget of their
// own, the pages do not eat the API's, and a sender is counted by the messages they send.

type Inject = InjectOptions;

async function codes(t: TestApp, requests: Inject[]): Promise<number[]> {
  const out: number[] = [];
  for (const r of requests) out.push((await t.app.inject(r)).statusCode);
  return out;
}

const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe.skipIf(!hasServers)('request limits, no proxy trusted', () => {
  let t: TestApp;
  const keys: Record<'ani' | 'bayu' | 'admin', string> = { ani: '', bayu: '', admin: '' };
  beforeAll(async () => {
    t = await startTestApp({
      env: { API_RATE_PER_MINUTE: '5', PAGES_RATE_PER_MINUTE: '4', WEBHOOK_SENDER_RATE_PER_MINUTE: '5' },
    });
    for (const [name, role] of [
      ['ani', 'agent'],
      ['bayu', 'agent'],
      ['admin', 'admin'],
    ] as const) {
      const created = await createApiKey(t.database.db, { name, role });
      if (created === 'name-taken') throw new Error(name);
      keys[name] = created.key;
    }
  });
  afterAll(() => t?.close());

  const inboxPoll = (key: string, remoteAddress = '192.0.2.10'): Inject => ({
    url: '/api/handoffs',
    headers: bearer(key),
    remoteAddress,
  });

  it('gives two agents behind one address a budget each', async () => {
    expect(
      await codes(
        t,
        times(6, () => inboxPoll(keys.ani)),
      ),
    ).toEqual([200, 200, 200, 200, 200, 429]);
    expect(
      await codes(
        t,
        times(5, () => inboxPoll(keys.bayu)),
      ),
    ).toEqual([200, 200, 200, 200, 200]);
    const refused = await t.app.inject(inboxPoll(keys.ani));
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('limits a flood without a valid key from one address, then refuses that address any key', async () => {
    const guess = (i: number): Inject => ({
      url: '/api/handoffs',
      headers: bearer(`tgh_guess-${i}`),
      remoteAddress: '198.51.100.7',
    });
    expect(await codes(t, times(7, guess))).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // a right guess from there learns nothing either; the same key from elsewhere works
    expect((await t.app.inject(inboxPoll(keys.admin, '198.51.100.7'))).statusCode).toBe(429);
    expect((await t.app.inject(inboxPoll(keys.admin, '198.51.100.8'))).statusCode).toBe(200);
  });

  it('gives the pages a budget per address of their own, apart from the API', async () => {
    const page = (url: string, remoteAddress = '192.0.2.20'): Inject => ({ url, remoteAddress });
    const office = ['/inbox', '/inbox/inbox.js', '/inbox/inbox.css', '/dashboard', '/dashboard'];
    expect(
      await codes(
        t,
        office.map((u) => page(u)),
      ),
    ).toEqual([200, 200, 200, 200, 429]);
    expect((await t.app.inject(page('/inbox', '192.0.2.21'))).statusCode).toBe(200);
    expect((await t.app.inject(inboxPoll(keys.admin, '192.0.2.20'))).statusCode).toBe(200);
  });

  it('takes the socket address, not X-Forwarded-For, when no proxy is trusted', async () => {
    const page = (i: number): Inject => ({
      url: '/inbox',
      remoteAddress: '192.0.2.30',
      headers: { 'x-forwarded-for': `203.0.113.${i}` },
    });
    expect(await codes(t, times(5, page))).toEqual([200, 200, 200, 200, 429]);
  });

  describe('webhook, per sender', () => {
    /** One delivery with a text message from each sender, in order (Meta may batch several). */
    const delivery = (items: { from: string; wamid?: string }[]) =>
      envelope({
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: TEST_DISPLAY_PHONE_NUMBER, phone_number_id: TEST_PHONE_NUMBER_ID },
        contacts: [...new Set(items.map((i) => i.from))].map((from) => ({
          profile: { name: 'Budi Santoso' },
          wa_id: from,
        })),
        messages: items.map((i) => ({
          from: i.from,
          id: i.wamid ?? randomWamid(),
          timestamp: String(Math.floor(Date.now() / 1000)),
          type: 'text',
          text: { body: 'halo' },
        })),
      });
    const post = (payload: unknown) => postWebhook(t.app, payload);

    it('counts every message of a delivery, not the delivery', async () => {
      expect(await post(delivery(times(5, () => ({ from: '6281234500001' }))))).toBe(200);
      expect(await post(delivery([{ from: '6281234500001' }]))).toBe(429);
    });

    it('counts every sender of a delivery, not only the first', async () => {
      const results: number[] = [];
      for (let i = 0; i < 6; i++) {
        results.push(await post(delivery([{ from: `62812345001${i}0` }, { from: '6281234500002' }])));
      }
      expect(results).toEqual([200, 200, 200, 200, 200, 429]);
    });

    it('counts a message Meta delivers again once, whether it was answered 200 or 429', async () => {
      const accepted = delivery([{ from: '6281234500003' }]);
      for (let i = 0; i < 5; i++) expect(await post(accepted)).toBe(200);
      // a sender past the limit sends the whole delivery back; the other sender's message in it counts once
      const shared = delivery([{ from: '6281234500003' }, ...times(6, () => ({ from: '6281234500004' }))]);
      expect(await post(shared)).toBe(429);
      expect(await post(shared)).toBe(429);
      const fresh = () => post(delivery([{ from: '6281234500003' }]));
      expect([await fresh(), await fresh(), await fresh()]).toEqual([200, 200, 200]);
      expect(await fresh()).toBe(429);
    });

    it('names no sender in Redis: neither the number nor a plain hash of it that anyone could recompute', async () => {
      const from = '6281234500009';
      expect(await post(delivery([{ from }]))).toBe(200);
      const keys = await t.redis!.keys(`${t.prefix}*`);
      const plain = createHash('sha256').update(from).digest('hex').slice(0, 32);
      expect(keys.some((k) => k.includes('sender:'))).toBe(true);
      expect(keys.filter((k) => k.includes(from) || k.includes(plain))).toEqual([]);
    });

    it('never limits statuses', async () => {
      const statuses = times(8, () =>
        statusWebhook([{ wamid: randomWamid(), status: 'delivered', recipient: '6281234500001' }]),
      );
      for (const s of statuses) expect(await post(s)).toBe(200);
    });
  });
});

describe.skipIf(!hasServers)('request limits behind a trusted proxy (TRUST_PROXY)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PAGES_RATE_PER_MINUTE: '3', TRUST_PROXY: '10.0.0.5, 10.1.0.0/16' } });
  });
  afterAll(() => t?.close());

  const page = (client: string, proxy = '10.0.0.5'): Inject => ({
    url: '/inbox',
    remoteAddress: proxy,
    headers: { 'x-forwarded-for': client },
  });

  it('counts each client by its X-Forwarded-For address', async () => {
    expect(
      await codes(
        t,
        times(4, () => page('203.0.113.7')),
      ),
    ).toEqual([200, 200, 200, 429]);
    expect(
      await codes(
        t,
        times(3, () => page('203.0.113.8', '10.1.4.2')),
      ),
    ).toEqual([200, 200, 200]);
  });

  it('believes X-Forwarded-For only from the proxies named', async () => {
    const spoofed = (i: number) => page(`203.0.113.${100 + i}`, '198.51.100.50');
    expect(await codes(t, times(4, spoofed))).toEqual([200, 200, 200, 429]);
  });
});
