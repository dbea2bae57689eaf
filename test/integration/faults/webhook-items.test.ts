import { inArray } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageStatuses, messages } from '../../../src/db/index.js';
import { loggerOptions } from '../../../src/logger.js';
import { signBody } from '../../../src/whatsapp/index.js';
import { APP_SECRET, startTestApp, type TestApp } from '../../support/app.js';
import {
  envelope,
  randomWamid,
  TEST_DISPLAY_PHONE_NUMBER,
  TEST_PHONE_NUMBER_ID,
} from '../../support/webhooks.js';

// One item no server can store must not hold back the rest of its delivery: the Cloud API would deliver
// the same body again and again, and the good items in it would never be recorded.

const DEEP = '"__deep__"';
const NESTING = 20_000;

describe('a delivery with items that cannot be stored', () => {
  let app: TestApp;
  const log: string[] = [];

  beforeAll(async () => {
    const logger = pino(loggerOptions('info'), { write: (line: string) => void log.push(line) });
    app = await startTestApp({ logger });
  });
  afterAll(() => app?.close());

  const now = Math.floor(Date.now() / 1000);
  const text = (from: string, body: string, over: Record<string, unknown> = {}) => ({
    from,
    id: randomWamid(),
    timestamp: String(now),
    type: 'text',
    text: { body },
    ...over,
  });
  const goodA = text('6281400000001', 'menu');
  const goodB = text('6281400000002', 'cek iuran');
  const badItems = [
    // after the year 9999: PostgreSQL cannot take it as a time
    text('6281400000003', 'pesan tahun 33658', { timestamp: '999999999999' }),
    // after the last date JavaScript can hold
    text('6281400000004', 'pesan di luar kalender', { timestamp: 9e15 }),
    // a text with a NUL character, which jsonb refuses
    text('6281400000005', 'nol\u0000byte'),
    // nesting deeper than JSON.stringify and jsonb go
    text('6281400000006', 'bersarang', { extra: '__deep__' }),
  ];
  const goodStatus = {
    id: randomWamid(),
    status: 'delivered',
    timestamp: String(now),
    recipient_id: '6281400000001',
  };
  const badStatus = { ...goodStatus, id: randomWamid(), timestamp: '999999999999' };

  const body = (): string => {
    const payload = envelope({
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: TEST_DISPLAY_PHONE_NUMBER, phone_number_id: TEST_PHONE_NUMBER_ID },
      contacts: [{ wa_id: '6281400000001', profile: { name: 'Sri' } }],
      messages: [goodA, ...badItems, goodB],
      statuses: [badStatus, goodStatus],
    });
    return JSON.stringify(payload).replace(DEEP, `${'['.repeat(NESTING)}${']'.repeat(NESTING)}`);
  };

  const deliver = (raw: string) =>
    app.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, APP_SECRET) },
      payload: raw,
    });

  it('records the rest, keeps each bad message without its content, answers 200, counts and logs them', async () => {
    const raw = body();
    const res = await deliver(raw);
    expect(res.statusCode).toBe(200);

    const wamids = [goodA, goodB, ...badItems].map((m) => m.id);
    const stored = await app.database.db
      .select({
        wamid: messages.wamid,
        type: messages.type,
        text: messages.text,
        contact: messages.contactKey,
      })
      .from(messages)
      .where(inArray(messages.wamid, wamids));
    const byWamid = new Map(stored.map((r) => [r.wamid, r]));
    expect(byWamid.get(goodA.id)?.type).toBe('text');
    expect(byWamid.get(goodB.id)?.type).toBe('text');
    // each bad message is its sender's: a message that cannot be read, so the bot answers it
    for (const m of badItems) {
      expect(byWamid.get(m.id)).toMatchObject({ type: 'malformed', text: null, contact: m.from });
    }
    const statuses = await app.database.db
      .select({ wamid: messageStatuses.wamid })
      .from(messageStatuses)
      .where(inArray(messageStatuses.wamid, [goodStatus.id, badStatus.id]));
    expect(statuses.map((s) => s.wamid)).toEqual([goodStatus.id]);
    expect(app.inbound.map((r) => r.message.wamid).sort()).toEqual(wamids.sort());

    const metrics = await app.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/tagih_webhook_items_total\{kind="malformed"\} 5/);

    const lines = log.filter((l) => l.includes('cannot be stored'));
    expect(lines).toHaveLength(5);
    const everything = log.join('\n');
    for (const m of badItems) {
      expect(everything).not.toContain(m.from);
      expect(everything).not.toContain(m.id);
      expect(everything).not.toContain(m.text.body.split('\u0000')[0]);
    }

    // the Cloud API's retry of the same delivery changes nothing
    expect((await deliver(raw)).statusCode).toBe(200);
    expect(app.inbound).toHaveLength(6);
  });
});
