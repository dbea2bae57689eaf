import { and, eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createConversationEngine,
  createRedisStateStore,
  createTranslator,
} from '../../src/conversations/index.js';
import { auditLog, consents, handoffs, messages, participants, verifications } from '../../src/db/index.js';
import { recordInbound } from '../../src/messages/index.js';
import { importBills, importParticipants } from '../../src/participants/index.js';
import { parseWebhook } from '../../src/whatsapp/index.js';
import { APP_SECRET, adminHeaders, CLOUD_API, DATA_KEY, startTestApp, type TestApp } from '../support/app.js';
import { hasServers } from '../support/servers.js';
import {
  buttonWebhook,
  listReplyWebhook,
  mediaWebhook,
  randomWamid,
  signedRequest,
  textWebhook,
} from '../support/webhooks.js';

const t = createTranslator();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sent {
  to?: string;
  recipient?: string;
  type: string;
  text?: { body: string };
  interactive?: {
    type: string;
    body: { text: string };
    action: { buttons?: { reply: { id: string; title: string } }[]; sections?: { rows: { id: string }[] }[] };
  };
}

/** The words of a sent body, whatever its type. */
const words = (b: Sent) => b.text?.body ?? b.interactive?.body.text ?? '';

describe('conversations: webhook in, Cloud API body out', () => {
  let app: TestApp;
  let sent: Sent[] = [];
  // Monday 23 November 2026, 10:00 WIB: the office is open
  let clock = new Date('2026-11-23T03:00:00Z');

  beforeAll(async () => {
    app = await startTestApp({ conversations: true, now: () => clock });
    await importParticipants(
      app.database.db,
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
          category: 'PU',
        },
        {
          kpj: '44444444444',
          name: 'Joko Widodo',
          phone: '0812-3456-0004',
          birthDate: '21-06-1961',
          category: 'BPU',
          language: 'jv',
        },
      ],
      { dataKey: DATA_KEY, timeZone: 'Asia/Jakarta', actor: 'test', source: 'json' },
    );
    await importBills(
      app.database.db,
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
          kpj: '22222222222',
          period: '2026-11',
          amount: 16800,
          dueDate: '2026-11-15',
          paymentCode: '8801000022220001',
        },
      ],
      { actor: 'test', source: 'json' },
    );
  });
  afterAll(() => app?.close());
  afterEach(() => {
    nock.cleanAll();
    sent = [];
  });

  const cloud = () =>
    nock(CLOUD_API)
      .persist()
      .post(/\/messages$/, (body: Sent) => {
        sent.push(body);
        return true;
      })
      .reply(200, () => ({ messaging_product: 'whatsapp', messages: [{ id: randomWamid() }] }));

  const post = async (payload: unknown) => {
    const req = signedRequest(payload, APP_SECRET);
    const res = await app.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: req.headers,
      payload: req.body,
    });
    expect(res.statusCode).toBe(200);
    await app.app.drainBackgroundWork();
  };

  /** Waits until the queue has sent `n` bodies (replies to one contact go one after the other). */
  const replies = async (n: number, to?: string): Promise<Sent[]> => {
    const mine = () => sent.filter((b) => !to || b.to === to || b.recipient === to);
    for (let i = 0; i < 100 && mine().length < n; i++) await sleep(50);
    await sleep(150); // and nothing more than that
    return mine();
  };

  it('answers MENU with the main menu list, valid for the Cloud API', async () => {
    cloud();
    await post(textWebhook({ from: '6281234560001', text: 'menu' }));
    const [menu] = await replies(1);
    expect(menu?.type).toBe('interactive');
    expect(menu?.interactive?.type).toBe('list');
    expect(words(menu!)).toBe(t('id', 'menu.body'));
    const rows = menu!.interactive!.action.sections!.flatMap((s) => s.rows.map((r) => r.id));
    expect(rows).toHaveLength(5);
  });

  it('discloses the bill only after the birth date, then with every period, the total and the due date', async () => {
    cloud();
    await post(buttonWebhook({ from: '6281234560001', payload: 'BILL', title: 'Cek iuran' }));
    const asked = await replies(1);
    expect(words(asked[0]!)).toBe(t('id', 'verify.ask'));
    expect(JSON.stringify(asked)).not.toContain('36.800');

    await post(textWebhook({ from: '6281234560001', text: '18-08-1965' }));
    const wrong = await replies(2);
    expect(words(wrong[1]!)).toBe(t('id', 'verify.mismatch', { attemptsLeft: 2 }));
    expect(JSON.stringify(wrong)).not.toMatch(/36\.800|8801000011110001/);

    await post(textWebhook({ from: '6281234560001', text: '17/08/1965' }));
    const all = await replies(3);
    const bill = words(all[2]!);
    expect(bill).toContain('Rp36.800');
    expect(bill).toContain('Rp73.600');
    expect(bill).toContain('Oktober 2026');
    expect(bill).toContain('November 2026');
    expect(bill).toContain('15 Oktober 2026');
    const [v] = await app.database.db
      .select()
      .from(verifications)
      .where(eq(verifications.contactKey, '6281234560001'));
    expect(v?.verifiedUntil?.getTime()).toBe(clock.getTime() + 30 * 86_400_000);
  });

  it('remembers the confirmation for 30 days, then asks again', async () => {
    cloud();
    clock = new Date(clock.getTime() + 29 * 86_400_000);
    await post(listReplyWebhook({ from: '6281234560001', id: 'MENU:BILL', title: 'Cek iuran saya' }));
    expect(words((await replies(1))[0]!)).toContain('Rp73.600');
    sent = [];
    clock = new Date(clock.getTime() + 2 * 86_400_000);
    await post(listReplyWebhook({ from: '6281234560001', id: 'MENU:BILL', title: 'Cek iuran saya' }));
    expect(words((await replies(1))[0]!)).toBe(t('id', 'verify.ask'));
    await post(textWebhook({ from: '6281234560001', text: '17081965' }));
    expect(words((await replies(2))[1]!)).toContain('Rp73.600');
  });

  it('locks bill disclosure for a day after three wrong birth dates', async () => {
    cloud();
    await post(buttonWebhook({ from: '6281234560002', payload: 'BILL', title: 'Cek iuran' }));
    for (const d of ['01-01-1980', '02-01-1980', '03-01-1980']) {
      await post(textWebhook({ from: '6281234560002', text: d }));
    }
    // the right date now changes nothing: the number is locked
    await post(textWebhook({ from: '6281234560002', text: '01-02-1980' }));
    await post(buttonWebhook({ from: '6281234560002', payload: 'BILL', title: 'Cek iuran' }));
    const all = await replies(6, '6281234560002');
    expect(JSON.stringify(all)).not.toMatch(/16\.800|8801000022220001/);
    const [v] = await app.database.db
      .select()
      .from(verifications)
      .where(eq(verifications.contactKey, '6281234560002'));
    expect(v?.lockedUntil?.getTime()).toBe(clock.getTime() + 86_400_000);
    const failures = await app.database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'verification.failed'));
    expect(failures.length).toBeGreaterThanOrEqual(3);
  });

  it('never sends an amount or payment code to an unregistered number or a user id without a phone', async () => {
    cloud();
    for (const from of ['6281299990000', 'ID.13491208655302741918']) {
      await post(buttonWebhook({ from, payload: 'BILL', title: 'Cek iuran' }));
      await post(textWebhook({ from, text: '17-08-1965' }));
      await post(buttonWebhook({ from, payload: 'PAY', title: 'Cara bayar' }));
      await post(listReplyWebhook({ from, id: 'PAYCH:bri', title: 'BRI' }));
    }
    const all = await replies(4);
    expect(all.length).toBeGreaterThan(0);
    expect(JSON.stringify(all)).not.toMatch(/Rp\d|8801\d+/);
    // a BSUID is addressed with `recipient`, never turned into a phone number
    const toBsuid = all.filter((b) => b.recipient === 'ID.13491208655302741918');
    expect(toBsuid.length).toBeGreaterThan(0);
    expect(toBsuid.every((b) => b.to === undefined)).toBe(true);
  });

  it('tells a PU worker that the employer pays, without asking for money', async () => {
    cloud();
    await post(buttonWebhook({ from: '6281234560003', payload: 'BILL', title: 'Cek iuran' }));
    const all = await replies(1, '6281234560003');
    expect(all.map(words).join(' ')).toContain(t('id', 'bill.pu_employer_pays'));
  });

  it('opts out on STOP once, records it in the ledger and the audit log, and opts in on MULAI', async () => {
    cloud();
    await post(textWebhook({ from: '6281234560002', text: 'Stop!' }));
    await post(textWebhook({ from: '6281234560002', text: 'STOP' }));
    await post(textWebhook({ from: '6281234560002', text: 'saya mau stop telepon dulu' }));
    const db = app.database.db;
    const [p] = await db.select().from(participants).where(eq(participants.kpj, '22222222222'));
    expect(p?.optedOut).toBe(true);
    const ledger = await db.select().from(consents).where(eq(consents.participantId, p!.id));
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ action: 'opt_out', source: 'whatsapp_keyword', wording: 'Stop!' });
    const all = await replies(3, '6281234560002');
    expect(words(all[0]!)).toBe(t('id', 'consent.stopped'));
    expect(words(all[1]!)).toBe(t('id', 'consent.already_stopped'));

    await post(textWebhook({ from: '6281234560002', text: 'mulai' }));
    const [again] = await db.select().from(participants).where(eq(participants.kpj, '22222222222'));
    expect(again?.optedOut).toBe(false);
    const audits = await db.select().from(auditLog).where(eq(auditLog.subject, 'participant:22222222222'));
    expect(audits.map((a) => a.action)).toEqual(
      expect.arrayContaining(['consent.opt_out', 'consent.opt_in']),
    );
  });

  it('opts out from the template stop button, recorded as such', async () => {
    cloud();
    await post(buttonWebhook({ from: '6281234560001', payload: 'STOP', title: 'Berhenti' }));
    const db = app.database.db;
    const [p] = await db.select().from(participants).where(eq(participants.kpj, '11111111111'));
    const [row] = await db.select().from(consents).where(eq(consents.participantId, p!.id));
    expect(row).toMatchObject({ action: 'opt_out', source: 'whatsapp_template_button' });
    await post(textWebhook({ from: '6281234560001', text: 'MULAI' }));
  });

  it('answers in the participant language, and remembers a change of language', async () => {
    cloud();
    await post(textWebhook({ from: '6281234560004', text: 'menu' }));
    expect(words((await replies(1, '6281234560004'))[0]!)).toBe(t('jv', 'menu.body'));
    sent = [];
    await post(listReplyWebhook({ from: '6281234560004', id: 'LANG:en', title: 'English' }));
    await replies(1, '6281234560004');
    const [p] = await app.database.db.select().from(participants).where(eq(participants.kpj, '44444444444'));
    expect(p?.language).toBe('en');
    sent = [];
    await post(textWebhook({ from: '6281234560004', text: 'MENU' }));
    expect(words((await replies(1, '6281234560004'))[0]!)).toBe(t('en', 'menu.body'));
  });

  it('answers an image or a sticker with a short note and the menu', async () => {
    cloud();
    await post(mediaWebhook({ from: '6281234560004', type: 'sticker' }));
    const all = await replies(2, '6281234560004');
    expect(all.map(words)).toContain(t('en', 'fallback.media'));
    expect(all.some((b) => b.interactive?.type === 'list')).toBe(true);
  });

  it('opens a handoff for an officer, then stays quiet while the officer holds it', async () => {
    cloud();
    await post(textWebhook({ from: '6281234560001', text: 'saya mau bicara dengan petugas' }));
    const [ack] = await replies(1, '6281234560001');
    expect(words(ack!)).toBe(t('id', 'agent.on_duty'));
    const db = app.database.db;
    const [h] = await db
      .select()
      .from(handoffs)
      .where(and(eq(handoffs.contactKey, '6281234560001'), eq(handoffs.status, 'waiting')));
    expect(h).toBeDefined();
    sent = [];
    const later = new Date(h!.lastMessageAt.getTime() + 60_000);
    await post(textWebhook({ from: '6281234560001', text: 'halo, ada orang?', timestamp: later }));
    await post(textWebhook({ from: '6281234560001', text: 'MENU' }));
    expect(await replies(1, '6281234560001')).toHaveLength(0);
    const [after] = await db.select().from(handoffs).where(eq(handoffs.id, h!.id));
    expect(after!.lastMessageAt.getTime()).toBe(Math.floor(later.getTime() / 1000) * 1000);
    await db.update(handoffs).set({ status: 'resolved' }).where(eq(handoffs.id, h!.id));
  });

  it('tells the participant when an officer will answer outside office hours', async () => {
    cloud();
    const saved = clock;
    clock = new Date('2026-11-28T05:00:00Z'); // Saturday 12:00 WIB
    await post(textWebhook({ from: '6281234560002', text: 'PETUGAS' }));
    const [ack] = await replies(1, '6281234560002');
    expect(words(ack!)).toContain('30 November 2026');
    clock = saved;
    await app.database.db
      .update(handoffs)
      .set({ status: 'resolved' })
      .where(eq(handoffs.contactKey, '6281234560002'));
  });

  it('sends no second reply to a replayed webhook', async () => {
    cloud();
    const payload = textWebhook({ from: '6281234560004', text: 'menu' });
    await post(payload);
    await post(payload);
    await post(payload);
    expect(await replies(1, '6281234560004')).toHaveLength(1);
  });

  // these two write the Redis state store by hand
  it.skipIf(!hasServers)(
    'restarts a sender with an unusable stored conversation at the menu, with an apology',
    async () => {
      cloud();
      await app.redis!.set(`${app.prefix}:conv:6281234560004`, '{not json');
      await post(textWebhook({ from: '6281234560004', text: '17-08-1965' }));
      const all = await replies(2, '6281234560004');
      expect(words(all[0]!)).toBe(t('en', 'engine.restarted'));
      expect(all[1]?.interactive?.type).toBe('list');
      sent = [];
      await app.store.set('6281234560004', { machineId: 'bill', version: -1, snapshot: {} });
      await post(textWebhook({ from: '6281234560004', text: 'halo' }));
      expect(words((await replies(2, '6281234560004'))[0]!)).toBe(t('en', 'engine.restarted'));
    },
  );

  it.skipIf(!hasServers)(
    'handles one sender’s messages in the order they were sent, never two at once, across processes',
    async () => {
      cloud();
      const from = '6281234560004';
      // Five messages recorded at once (no engine), then three engines sharing Redis race to handle them.
      const base = Math.floor(clock.getTime() / 1000);
      const texts = ['menu', '4', 'halo', 'menu', 'terima kasih'];
      for (const [i, text] of texts.entries()) {
        const parsed = parseWebhook(textWebhook({ from, text, timestamp: base + i }));
        if (!parsed.ok) throw new Error(parsed.error);
        await recordInbound(app.database.db, parsed.webhook.messages);
      }
      const engines = [1, 2, 3].map(() =>
        createConversationEngine({
          db: app.database.db,
          outbound: app.outbound,
          store: createRedisStateStore({ redis: app.redis!, prefix: app.prefix, ttlSeconds: 60 }),
          t,
          dataKey: DATA_KEY,
          config: {
            officeHours: { days: [1, 2, 3, 4, 5], start: 480, end: 960 },
            businessTz: 'Asia/Jakarta',
          },
          now: () => clock,
        }),
      );
      await Promise.all(engines.map((e) => e.handle([from])));
      const rows = await app.database.db
        .select()
        .from(messages)
        .where(and(eq(messages.contactKey, from), eq(messages.direction, 'in')));
      const handled = rows.filter(
        (r) => texts.includes(r.text ?? '') && r.occurredAt.getTime() >= base * 1000,
      );
      expect(handled).toHaveLength(5);
      const byHandled = [...handled].sort(
        (a, b) => a.handledAt!.getTime() - b.handledAt!.getTime() || a.id - b.id,
      );
      expect(byHandled.map((r) => r.text)).toEqual(texts);
      // every message answered exactly once: the replies are keyed on the inbound wamid
      const out = await app.database.db
        .select()
        .from(messages)
        .where(and(eq(messages.contactKey, from), eq(messages.direction, 'out')));
      const keys = out
        .map((o) => o.dedupeKey)
        .filter((k) => handled.some((h) => k?.startsWith(`reply:${h.wamid}:`)));
      expect(new Set(keys).size).toBe(keys.length);
      expect(new Set(keys.map((k) => k!.split(':')[1])).size).toBe(5);
    },
  );

  it('lapses a question left an hour unanswered: the next words are not its answer, and the sender is told', async () => {
    cloud();
    await importParticipants(
      app.database.db,
      [
        {
          kpj: '55555555555',
          name: 'Dewi Lestari',
          phone: '0812-3456-0005',
          birthDate: '01-02-1980',
          category: 'BPU',
        },
      ],
      { dataKey: DATA_KEY, timeZone: 'Asia/Jakarta', actor: 'test', source: 'json' },
    );
    await importBills(
      app.database.db,
      [
        {
          kpj: '55555555555',
          period: '2026-11',
          amount: 21800,
          dueDate: '2026-11-15',
          paymentCode: '8801000055550001',
        },
      ],
      { actor: 'test', source: 'json' },
    );
    const asked = new Date(Date.now() - 3 * 3600_000);
    await post(
      buttonWebhook({ from: '6281234560005', payload: 'BILL', title: 'Cek iuran', timestamp: asked }),
    );
    expect(words((await replies(1, '6281234560005'))[0]!)).toBe(t('id', 'verify.ask'));
    sent = [];
    // her right birth date, but written two hours after the question
    const late = new Date(asked.getTime() + 2 * 3600_000);
    await post(textWebhook({ from: '6281234560005', text: '01-02-1980', timestamp: late }));
    const all = await replies(3, '6281234560005');
    expect(words(all[0]!)).toBe(t('id', 'engine.timed_out'));
    expect(words(all[1]!)).toBe(t('id', 'fallback.not_understood'));
    expect(all[2]?.interactive?.type).toBe('list');
    expect(JSON.stringify(all)).not.toMatch(/16\.800|8801000022220001/);
    const [v] = await app.database.db
      .select()
      .from(verifications)
      .where(eq(verifications.contactKey, '6281234560005'));
    expect(v?.verifiedUntil ?? null).toBeNull();
    expect((await app.store.get('6281234560005'))?.machineId).toBe('fallback');
  });

  it('lets an idle flow the message still belongs to carry on, without a word about the lapse', async () => {
    cloud();
    const shown = new Date(Date.now() - 3 * 3600_000);
    await post(textWebhook({ from: '6281234560005', text: 'ganti bahasa', timestamp: shown }));
    await replies(1, '6281234560005');
    expect((await app.store.get('6281234560005'))?.machineId).toBe('language');
    sent = [];
    const tapped = new Date(shown.getTime() + 2 * 3600_000);
    await post(
      listReplyWebhook({ from: '6281234560005', id: 'LANG:en', title: 'English', timestamp: tapped }),
    );
    const all = await replies(1, '6281234560005');
    expect(all.map(words)).not.toContain(t('id', 'engine.timed_out'));
    expect(all.map(words)).not.toContain(t('en', 'engine.timed_out'));
    const [p] = await app.database.db.select().from(participants).where(eq(participants.kpj, '55555555555'));
    expect(p?.language).toBe('en');
    await app.database.db.update(participants).set({ language: 'id' }).where(eq(participants.id, p!.id));
  });

  it('keeps the history of the whole conversation for the participant', async () => {
    const res = await app.app.inject({
      url: '/api/participants/11111111111/messages',
      headers: adminHeaders,
    });
    const history = res.json<{ direction: string }[]>();
    expect(history.filter((m) => m.direction === 'in').length).toBeGreaterThan(3);
    expect(history.filter((m) => m.direction === 'out').length).toBeGreaterThan(3);
  });
});
