import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { contacts, messages, openDatabase } from '../../../src/db/index.js';
import { createOutbound } from '../../../src/outbound/index.js';
import {
  type CloudApiClient,
  type OutboundBody,
  templateMessage,
  textMessage,
} from '../../../src/whatsapp/index.js';

// Embedded mode end to end, no servers: PGlite, the in-process queue and limiter, a stub Cloud API.

describe('outbound on PGlite with the in-process queue', () => {
  it('sends, stores the wamid, and keeps free-form inside the window', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    const sent: OutboundBody[] = [];
    const client: CloudApiClient = {
      async send(body) {
        sent.push(body);
        return { ok: true, wamid: `wamid.${sent.length}` };
      },
    };
    const outbound = createOutbound({ db: database.db, client, mps: 80 });
    try {
      await database.db.insert(contacts).values({ contactKey: '6281234567890', lastInboundAt: new Date() });
      const reminder = await outbound.enqueue({
        contactKey: '6289876543210',
        body: templateMessage('6289876543210', {
          name: 'iuran_reminder',
          language: 'id',
          bodyParameters: ['A'],
        }),
        priority: 'blast',
        origin: { kind: 'notice' },
        dedupeKey: 'c1:p1:b1',
        templateName: 'iuran_reminder',
      });
      const reply = await outbound.enqueue({
        contactKey: '6281234567890',
        body: textMessage('6281234567890', 'Halo'),
        priority: 'reply',
        origin: { kind: 'reply' },
        text: 'Halo',
      });
      const late = await outbound.enqueue({
        contactKey: '6289876543210',
        body: textMessage('6289876543210', 'Halo'),
        priority: 'reply',
        origin: { kind: 'reply' },
      });
      await outbound.start();
      const statusOf = async (id: number) =>
        (await database.db.select().from(messages).where(eq(messages.id, id)))[0]!;
      for (let i = 0; i < 200; i++) {
        const rows = await Promise.all([reminder, reply, late].map((r) => statusOf(r.messageId)));
        if (rows.every((r) => r.status !== 'queued' && r.status !== 'sending')) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await statusOf(reminder.messageId)).toMatchObject({
        status: 'accepted',
        templateName: 'iuran_reminder',
      });
      expect(await statusOf(reply.messageId)).toMatchObject({ status: 'accepted', text: 'Halo' });
      expect(await statusOf(late.messageId)).toMatchObject({ status: 'failed', errorCode: 131047 });
      // The reply was enqueued after the reminder but went first.
      expect(sent.map((b) => b.type)).toEqual(['text', 'template']);
      expect(sent[0]!.biz_opaque_callback_data).toBe(`msg:${reply.messageId}`);
    } finally {
      await outbound.close();
      await database.close();
    }
  });
});
