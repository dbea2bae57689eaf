import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts, messages } from '../../src/db/index.js';
import { createInboundRecorder } from '../../src/messages/index.js';
import { type InboundMessage, parseWebhook } from '../../src/whatsapp/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { randomWamid, textWebhook } from '../support/webhooks.js';

const inbound = (opts: Parameters<typeof textWebhook>[0]): InboundMessage[] => {
  const parsed = parseWebhook(textWebhook(opts));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.webhook.messages;
};

describe('recording inbound messages together (group commit)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('gives each concurrent webhook its own fresh messages, a wamid once, a sender one contact row', async () => {
    // one statement at a time: the webhooks that arrive meanwhile share the next statement
    const recorder = createInboundRecorder(t.database.db, { maxInFlight: 1 });
    const from = '6281299900001';
    const twice = randomWamid();
    const base = Math.floor(Date.now() / 1000);
    const calls = [
      inbound({ from, text: 'satu', timestamp: base, name: 'Old Name' }),
      inbound({ from, text: 'dua', timestamp: base + 5, name: 'New Name', wamid: twice }),
      // Meta delivering the same message again while the first delivery is being recorded
      inbound({ from, text: 'dua', timestamp: base + 5, name: 'New Name', wamid: twice }),
      inbound({ from: '6281299900002', text: 'halo', timestamp: base }),
    ];
    const results = await Promise.all(calls.map((m) => recorder.record(m)));

    expect(results.map((r) => r.length)).toEqual([1, 1, 0, 1]);
    results.flat().forEach((r, i) => {
      expect(r.messageId).toBeGreaterThan(0);
      expect(r.message).toBe([calls[0]![0], calls[1]![0], calls[3]![0]][i]);
    });
    const rows = await t.database.db
      .select({ wamid: messages.wamid, text: messages.text })
      .from(messages)
      .where(eq(messages.contactKey, from))
      .orderBy(messages.id);
    expect(rows.map((r) => r.text)).toEqual(['satu', 'dua']);
    const [contact] = await t.database.db.select().from(contacts).where(eq(contacts.contactKey, from));
    expect(contact?.profileName).toBe('New Name');
    expect(contact?.lastInboundAt?.getTime()).toBe((base + 5) * 1000);
    // a retry after the fact is not fresh either
    expect(await recorder.record(calls[1]!)).toEqual([]);
    const n = await t.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(messages)
      .where(eq(messages.wamid, twice));
    expect(n[0]!.n).toBe(1);
  });
});
