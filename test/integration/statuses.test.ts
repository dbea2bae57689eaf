import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageStatuses, messages } from '../../src/db/index.js';
import { createStatusRecorder, recordStatuses } from '../../src/messages/index.js';
import type { StatusUpdate } from '../../src/whatsapp/index.js';
import { openTestDatabase, type TestDatabase } from '../support/servers.js';
import { randomWamid } from '../support/webhooks.js';

describe('status recording in batches', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database?.close());

  const outbound = async (wamid: string | null, status: 'accepted' | 'sending' = 'accepted') => {
    const [row] = await database.db
      .insert(messages)
      .values({ direction: 'out', contactKey: '6281234567808', wamid, type: 'template', payload: {}, status })
      .returning({ id: messages.id });
    return row!.id;
  };
  const at = (s: number) => new Date(1_750_000_000_000 + s * 1000);
  const status = (
    wamid: string,
    s: StatusUpdate['status'],
    t: number,
    extra: Partial<StatusUpdate> = {},
  ): StatusUpdate => ({
    wamid,
    phoneNumberId: '106540352242922',
    status: s,
    timestamp: at(t),
    recipient: '6281234567808',
    errors: [],
    ...extra,
  });
  const row = async (id: number) =>
    (await database.db.select().from(messages).where(eq(messages.id, id)))[0]!;

  it('applies several statuses of one message in one statement as one by one, played counting as read once', async () => {
    const wamid = randomWamid();
    const id = await outbound(wamid);
    const pricing = { category: 'utility', type: 'regular' };
    const counts = await recordStatuses(database.db, [
      status(wamid, 'sent', 1, { pricing }),
      status(wamid, 'delivered', 2, { pricing: { category: 'marketing', type: 'regular' } }),
      status(wamid, 'read', 3),
      status(wamid, 'played', 4),
      status(wamid, 'sent', 1, { pricing }),
    ]);
    expect(counts).toEqual({ recorded: 4, duplicates: 1 });
    const m = await row(id);
    expect(m.status).toBe('read');
    expect(m.statusHistory.map((h) => h.status)).toEqual(['sent', 'delivered', 'read']);
    expect(m.statusHistory[0]!.at).toBe(at(1).toISOString());
    expect(m).toMatchObject({ pricingCategory: 'marketing', pricingType: 'regular' });
    expect(m.sentAt?.getTime()).toBe(at(1).getTime());
    expect(m.deliveredAt?.getTime()).toBe(at(2).getTime());
    expect(m.readAt?.getTime()).toBe(at(3).getTime());
    // played is kept as Meta sent it
    const kept = await database.db.select().from(messageStatuses).where(eq(messageStatuses.wamid, wamid));
    expect(kept.map((k) => k.status).sort()).toEqual(['delivered', 'played', 'read', 'sent']);
  });

  it('never moves back, and keeps the first time and the latest error', async () => {
    const wamid = randomWamid();
    const id = await outbound(wamid);
    await recordStatuses(database.db, [status(wamid, 'read', 5)]);
    await recordStatuses(database.db, [
      status(wamid, 'failed', 6, { errors: [{ code: 131026, title: 'Message undeliverable' }] }),
      status(wamid, 'delivered', 4),
    ]);
    const m = await row(id);
    expect(m).toMatchObject({ status: 'read', errorCode: 131026, errorTitle: 'Message undeliverable' });
    expect(m.statusHistory.map((h) => h.status)).toEqual(['read', 'failed', 'delivered']);
    expect(m.failedAt?.getTime()).toBe(at(6).getTime());
  });

  it('finds a message by the callback data of any of its statuses and keeps its wamid', async () => {
    const id = await outbound(null, 'sending');
    const lost = randomWamid();
    await recordStatuses(database.db, [
      status(lost, 'sent', 1),
      status(lost, 'delivered', 2, { bizOpaqueCallbackData: `msg:${id}` }),
    ]);
    expect(await row(id)).toMatchObject({ wamid: lost, status: 'delivered' });
    // unknown wamid and no usable callback data: kept for the sender to reconcile, nothing moved
    const early = randomWamid();
    await recordStatuses(database.db, [status(early, 'sent', 1, { bizOpaqueCallbackData: 'msg:x' })]);
    expect(
      await database.db.select().from(messageStatuses).where(eq(messageStatuses.wamid, early)),
    ).toHaveLength(1);
  });

  it('serves concurrent callers in shared statements: each status stored and applied once, counts per caller', async () => {
    const recorder = createStatusRecorder(database.db, { maxInFlight: 2, maxStatuses: 7 });
    const wamids = Array.from({ length: 30 }, () => randomWamid());
    const ids = await Promise.all(wamids.map((w) => outbound(w)));
    const all = wamids.flatMap((w, i) => [
      status(w, 'sent', i),
      status(w, 'delivered', i + 1),
      status(w, 'read', i + 2),
    ]);
    // shuffled into lists of 1 to 4, and a fifth of the lists delivered twice
    const shuffled = all.map((s, i) => ({ s, k: (i * 7919) % all.length })).sort((a, b) => a.k - b.k);
    const lists: StatusUpdate[][] = [];
    for (let i = 0; i < shuffled.length; ) {
      const n = 1 + (i % 4);
      lists.push(shuffled.slice(i, i + n).map((x) => x.s));
      i += n;
    }
    const repeats = lists.filter((_, i) => i % 5 === 0);
    const results = await Promise.all([...lists, ...repeats].map((l) => recorder.record(l)));
    const recorded = results.reduce((a, r) => a + r.recorded, 0);
    const duplicates = results.reduce((a, r) => a + r.duplicates, 0);
    expect(recorded).toBe(90);
    expect(duplicates).toBe(repeats.reduce((a, l) => a + l.length, 0));
    const rows = await database.db.select().from(messages).where(inArray(messages.id, ids));
    for (const m of rows) {
      expect(m.status).toBe('read');
      expect(m.statusHistory.map((h) => h.status).sort()).toEqual(['delivered', 'read', 'sent']);
    }
    const [stored] = await database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(messageStatuses)
      .where(inArray(messageStatuses.wamid, wamids));
    expect(stored!.n).toBe(90);
    expect(await recorder.record([])).toEqual({ recorded: 0, duplicates: 0 });
  });
});
