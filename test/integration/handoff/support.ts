import nock from 'nock';
import type { Desk } from '../../../src/handoff/index.js';
import { importBills, importParticipants, importPayments } from '../../../src/participants/index.js';
import { ADMIN_KEY, APP_SECRET, CLOUD_API, DATA_KEY, startTestApp, type TestApp } from '../../support/app.js';
import { randomWamid, signedRequest, textWebhook } from '../../support/webhooks.js';

// The whole app, as the service wires it (the
// handoff room's return notice first, then the engine), four participants, and two agent keys.

export interface Sent {
  to?: string;
  recipient?: string;
  type: string;
  text?: { body: string };
  interactive?: { type: string; body: { text: string } };
  template?: { name: string; language: { code: string } };
}

export const words = (b: Sent) => b.text?.body ?? b.interactive?.body.text ?? '';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const SITI = '6281234560001';
export const BUDI = '6281234560002';
export const SRI = '6281234560003';
export const JOKO = '6281234560004';
/** a number nobody registered */
export const STRANGER = '6281299990000';

export interface HandoffHarness {
  t: TestApp;
  desk: Desk;
  /** agent keys by name */
  keys: Record<'ani' | 'bayu', string>;
  /** every body the Cloud API received, in order */
  sent: Sent[];
  /** a signed text webhook from `from`, answered 200, with the engine's work finished */
  write(from: string, text: string, name?: string): Promise<void>;
  /** waits until `n` bodies went to `to`, then a little longer to see that no more follow */
  replies(n: number, to?: string, settleMs?: number): Promise<Sent[]>;
  as(name: 'ani' | 'bayu' | 'admin'): { authorization: string };
  close(): Promise<void>;
}

export async function startHandoffHarness(opts: { now?: () => Date; env?: Record<string, string> } = {}) {
  const sent: Sent[] = [];
  const t: TestApp = await startTestApp({
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    conversations: true,
  });
  const desk = t.desk;
  const scope = nock(CLOUD_API)
    .persist()
    .post(/\/messages$/, (body: Sent) => {
      sent.push(body);
      return true;
    })
    .reply(200, () => ({ messaging_product: 'whatsapp', messages: [{ id: randomWamid() }] }));

  const db = t.database.db;
  await importParticipants(
    db,
    [
      {
        kpj: '11111111111',
        name: 'Siti Aminah',
        phone: '0812-3456-0001',
        birthDate: '17-08-1965',
        category: 'BPU',
      },
      {
        kpj: '22222222222',
        name: 'Budi Santoso',
        phone: '0812-3456-0002',
        birthDate: '01-02-1980',
        category: 'BPU',
      },
      {
        kpj: '33333333333',
        name: 'Sri Wahyuni',
        phone: '0812-3456-0003',
        birthDate: '05-05-1975',
        category: 'BPU',
      },
      {
        kpj: '44444444444',
        name: 'Joko Susilo',
        phone: '0812-3456-0004',
        birthDate: '21-06-1961',
        category: 'BPU',
        language: 'jv',
      },
    ],
    { dataKey: DATA_KEY, timeZone: 'Asia/Jakarta', actor: 'test', source: 'json' },
  );
  await importBills(
    db,
    [
      {
        kpj: '11111111111',
        period: '2026-10',
        amount: 36800,
        dueDate: '2026-10-15',
        paymentCode: '8801000011110001',
      },
      {
        kpj: '11111111111',
        period: '2026-11',
        amount: 36800,
        dueDate: '2026-11-15',
        paymentCode: '8801000011110002',
      },
      {
        kpj: '11111111111',
        period: '2026-09',
        amount: 36800,
        dueDate: '2026-09-15',
        paymentCode: '8801000011110000',
      },
      {
        kpj: '22222222222',
        period: '2026-11',
        amount: 16800,
        dueDate: '2026-11-15',
        paymentCode: '8801000022220001',
      },
    ],
    { actor: 'test', source: 'json' },
  );
  await importPayments(
    db,
    [
      {
        reference: 'BRI-0001',
        kpj: '11111111111',
        period: '2026-09',
        amount: 36800,
        paidAt: '2026-09-10T03:00:00Z',
        channel: 'BRImo',
      },
    ],
    { actor: 'test', source: 'json' },
  );

  const keys = {} as Record<'ani' | 'bayu', string>;
  for (const name of ['ani', 'bayu'] as const) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: { name: `agent-${name}`, role: 'agent' },
    });
    keys[name] = res.json<{ key: string }>().key;
  }

  const harness: HandoffHarness = {
    t,
    desk,
    keys,
    sent,
    async write(from, text, name) {
      const req = signedRequest(textWebhook({ from, text, ...(name ? { name } : {}) }), APP_SECRET);
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/whatsapp',
        headers: req.headers,
        payload: req.body,
      });
      if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}`);
      await t.app.drainBackgroundWork();
    },
    async replies(n, to, settleMs = 200) {
      const mine = () => sent.filter((b) => !to || b.to === to || b.recipient === to);
      for (let i = 0; i < 100 && mine().length < n; i++) await sleep(50);
      await sleep(settleMs);
      return mine();
    },
    as(name) {
      return { authorization: `Bearer ${name === 'admin' ? ADMIN_KEY : keys[name]}` };
    },
    async close() {
      scope.persist(false);
      nock.cleanAll();
      await t.close();
    },
  };
  return harness;
}
