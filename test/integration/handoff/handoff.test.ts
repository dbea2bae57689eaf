import { and, eq, ne } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTranslator } from '../../../src/conversations/index.js';
import { auditLog, contacts, handoffs } from '../../../src/db/index.js';
import { createDesk, createHandoffJobs, type HandoffSummary } from '../../../src/handoff/index.js';
import { TEST_REDIS_URL } from '../../support/servers.js';
import {
  BUDI,
  type HandoffHarness,
  JOKO,
  type Sent,
  SITI,
  SRI,
  sleep,
  startHandoffHarness,
  words,
} from './support.js';

const t = createTranslator();
const HOUR = 3600_000;

describe('handoff: agents take conversations and give them back', () => {
  let h: HandoffHarness;
  // Monday 23 November 2026, 10:00 WIB: the office is open (the engine's clock)
  let clock = new Date('2026-11-23T03:00:00Z');

  beforeAll(async () => {
    h = await startHandoffHarness({ now: () => clock });
  });
  afterAll(() => h?.close());
  beforeEach(() => {
    h.sent.length = 0;
    clock = new Date('2026-11-23T03:00:00Z');
  });

  const db = () => h.t.database.db;
  const inject = (method: 'GET' | 'POST', url: string, who: 'ani' | 'bayu' | 'admin', payload?: object) =>
    h.t.app.inject({ method, url, headers: h.as(who), ...(payload ? { payload } : {}) });
  const openHandoffOf = async (contactKey: string) => {
    const [row] = await db()
      .select()
      .from(handoffs)
      .where(and(eq(handoffs.contactKey, contactKey), ne(handoffs.status, 'resolved')));
    return row!;
  };
  const auditOf = (id: number) =>
    db()
      .select()
      .from(auditLog)
      .where(eq(auditLog.subject, `handoff:${id}`))
      .orderBy(auditLog.id);

  let sitiHandoff = 0;
  let raceWinner = '';

  it('opens a handoff on AGEN, acknowledges it once, then stays quiet, MENU included', async () => {
    await h.write(SITI, 'agen');
    const [ack] = await h.replies(1, SITI);
    expect(words(ack!)).toBe(t('id', 'agent.on_duty'));
    sitiHandoff = (await openHandoffOf(SITI)).id;

    h.sent.length = 0;
    await h.write(SITI, 'halo, iuran saya kok dobel?');
    await h.write(SITI, 'MENU');
    await h.write(SITI, 'agen');
    expect(await h.replies(0, SITI, 600)).toEqual([]);

    const list = (await inject('GET', '/api/handoffs?status=waiting', 'ani')).json<HandoffSummary[]>();
    const item = list.find((x) => x.id === sitiHandoff);
    expect(item).toMatchObject({
      waId: SITI,
      kpj: '11111111111',
      name: 'Siti Aminah',
      status: 'waiting',
      reason: 'keyword',
      overdue: false,
    });
    expect(Date.parse(item!.windowClosesAt!)).toBeGreaterThan(Date.now() + 23 * HOUR);
    expect(item).not.toHaveProperty('assignedTo');
  });

  it('lets an agent key in, and keeps it out of admin routes', async () => {
    expect((await inject('GET', '/api/handoffs', 'ani')).statusCode).toBe(200);
    expect((await inject('GET', '/api/handoffs', 'admin')).statusCode).toBe(200);
    expect((await inject('GET', '/api/inbox/me', 'ani')).json()).toEqual({
      name: 'agent-ani',
      role: 'agent',
    });
    expect((await inject('POST', '/api/keys', 'ani', { name: 'x', role: 'admin' })).statusCode).toBe(403);
    expect((await inject('GET', '/api/participants/11111111111/messages', 'ani')).statusCode).toBe(403);
    expect((await inject('POST', '/api/campaigns', 'ani', {})).statusCode).toBe(403);
    expect((await h.t.app.inject({ method: 'GET', url: '/api/handoffs' })).statusCode).toBe(401);
    expect((await inject('GET', '/api/handoffs?status=open', 'ani')).statusCode).toBe(400);
    expect((await inject('POST', '/api/handoffs/999999/claim', 'ani')).statusCode).toBe(404);
  });

  it('gives a race of two claims to one agent: one 200, one 409', async () => {
    const [a, b] = await Promise.all([
      inject('POST', `/api/handoffs/${sitiHandoff}/claim`, 'ani'),
      inject('POST', `/api/handoffs/${sitiHandoff}/claim`, 'bayu'),
    ]);
    expect([a!.statusCode, b!.statusCode].sort()).toEqual([200, 409]);
    const winner = a!.statusCode === 200 ? 'ani' : 'bayu';
    raceWinner = winner;
    const loser = winner === 'ani' ? 'bayu' : 'ani';
    const lost = (a!.statusCode === 409 ? a! : b!).json();
    expect(lost).toMatchObject({ reason: 'held', assignedTo: `agent-${winner}` });

    const row = await openHandoffOf(SITI);
    expect(row).toMatchObject({ status: 'assigned', assignedTo: `agent-${winner}` });
    // the holder claiming again changes nothing; the other still cannot
    expect((await inject('POST', `/api/handoffs/${sitiHandoff}/claim`, winner)).statusCode).toBe(200);
    expect((await inject('POST', `/api/handoffs/${sitiHandoff}/claim`, loser)).statusCode).toBe(409);
    const claims = (await auditOf(sitiHandoff)).filter((r) => r.action === 'handoff.claim');
    expect(claims.map((r) => r.actor)).toEqual([`key:agent-${winner}`]);

    // from here on, Ani holds it whoever won
    if (winner !== 'ani') {
      await db().update(handoffs).set({ assignedTo: 'agent-ani' }).where(eq(handoffs.id, sitiHandoff));
    }
  });

  it('sends the holder reply as free-form text inside the window, and refuses anyone else', async () => {
    const other = await inject('POST', `/api/handoffs/${sitiHandoff}/messages`, 'bayu', { text: 'Halo' });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ reason: 'held' });
    expect(
      (await inject('POST', `/api/handoffs/${sitiHandoff}/messages`, 'ani', { text: '  ' })).statusCode,
    ).toBe(400);

    const text = 'Selamat siang Bu Siti, saya Ani dari kantor cabang. Tagihan September sudah lunas.';
    const res = await inject('POST', `/api/handoffs/${sitiHandoff}/messages`, 'ani', { text });
    expect(res.statusCode).toBe(202);
    const [body] = await h.replies(1, SITI);
    expect(body).toMatchObject({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: SITI,
      type: 'text',
      text: { body: text, preview_url: false },
    });
    const audit = (await auditOf(sitiHandoff)).filter((r) => r.action === 'handoff.reply');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe('key:agent-ani');
    expect(JSON.stringify(audit[0]!.details)).not.toContain('Selamat');
  });

  it('shows the conversation: participant, unpaid bills, payments, consent, every message in order', async () => {
    const view = (await inject('GET', `/api/handoffs/${sitiHandoff}`, 'bayu')).json();
    expect(view.participant).toMatchObject({
      kpj: '11111111111',
      name: 'Siti Aminah',
      registeredNumber: true,
    });
    expect(view.bills.unpaid.map((b: { period: string }) => b.period)).toEqual(['2026-10', '2026-11']);
    expect(view.bills.total).toBe(73600);
    expect(view.payments).toEqual([
      expect.objectContaining({ reference: 'BRI-0001', period: '2026-09', amount: 36800, channel: 'BRImo' }),
    ]);
    expect(view.consent).toEqual({ optedOut: false, history: [] });
    expect(view.window.open).toBe(true);
    const texts = view.messages.map((m: { author: string; text: string }) => `${m.author}: ${m.text}`);
    expect(texts).toEqual([
      'participant: agen',
      `bot: ${t('id', 'agent.on_duty')}`,
      'participant: halo, iuran saya kok dobel?',
      'participant: MENU',
      'participant: agen',
      'agent: Selamat siang Bu Siti, saya Ani dari kantor cabang. Tagihan September sudah lunas.',
    ]);

    const canned = (await inject('GET', `/api/handoffs/${sitiHandoff}/canned`, 'ani')).json<
      { key: string; text: string }[]
    >();
    expect(canned.find((c) => c.key === 'faq.office')?.text).toBe(t('id', 'faq.office'));
    const bri = canned.find((c) => c.key === 'pay.steps.bri')?.text;
    expect(bri).toContain('8801000011110001');
    expect(bri).toContain('Rp73.600');
  });

  it('refuses a free-form reply outside the 24-hour window with the reason, and offers the template', async () => {
    const closedAt = new Date(Date.now() - 1000);
    await db()
      .update(contacts)
      .set({ lastInboundAt: new Date(closedAt.getTime() - 24 * HOUR) })
      .where(eq(contacts.contactKey, SITI));
    const res = await inject('POST', `/api/handoffs/${sitiHandoff}/messages`, 'ani', { text: 'Halo lagi' });
    expect(res.statusCode).toBe(409);
    const body = res.json();
    expect(body).toMatchObject({
      reason: 'window_closed',
      reengage: {
        template: 'iuran_overdue',
        language: 'id',
        method: 'POST',
        url: `/api/handoffs/${sitiHandoff}/reengage`,
      },
    });
    expect(body.message).toMatch(/24-hour window is closed/);
    expect(Math.abs(Date.parse(body.windowClosedAt) - closedAt.getTime())).toBeLessThan(1000);

    const re = await inject('POST', `/api/handoffs/${sitiHandoff}/reengage`, 'ani');
    expect(re.statusCode).toBe(202);
    const [template] = await h.replies(1, SITI);
    expect(template).toMatchObject({
      type: 'template',
      template: { name: 'iuran_overdue', language: { code: 'id' } },
    });
    expect(h.sent.filter((b) => b.type === 'text')).toEqual([]);

    // the participant answers: the window is open again
    await h.write(SITI, 'ya bu');
    expect((await inject('GET', `/api/handoffs/${sitiHandoff}`, 'ani')).json().window.open).toBe(true);
  });

  it('resolves: the bot tells the participant in their language, then answers MENU again', async () => {
    expect((await inject('POST', `/api/handoffs/${sitiHandoff}/resolve`, 'bayu')).statusCode).toBe(409);
    const res = await inject('POST', `/api/handoffs/${sitiHandoff}/resolve`, 'ani');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: sitiHandoff, status: 'resolved', notified: true });
    const [told] = await h.replies(1, SITI);
    expect(told).toMatchObject({ type: 'text', to: SITI, text: { body: t('id', 'handoff.resolved') } });

    h.sent.length = 0;
    await h.write(SITI, 'menu');
    const [menu] = await h.replies(1, SITI);
    expect(menu?.interactive?.type).toBe('list');
    expect(words(menu!)).toBe(t('id', 'menu.body'));

    expect((await inject('POST', `/api/handoffs/${sitiHandoff}/resolve`, 'ani')).json()).toMatchObject({
      reason: 'resolved',
    });
    const actions = (await auditOf(sitiHandoff)).map((r) => `${r.action} ${r.actor}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        `handoff.claim key:agent-${raceWinner}`,
        'handoff.reply key:agent-ani',
        'handoff.reengage key:agent-ani',
        'handoff.resolve key:agent-ani',
      ]),
    );
    const resolved = (await inject('GET', '/api/handoffs?status=resolved', 'ani')).json<HandoffSummary[]>();
    expect(resolved.find((x) => x.id === sitiHandoff)?.resolvedAt).toBeDefined();
  });

  it('tells the participant outside office hours when an officer will answer', async () => {
    clock = new Date('2026-11-28T03:00:00Z'); // Saturday 10:00 WIB
    await h.write(JOKO, 'PETUGAS');
    const [ack] = await h.replies(1, JOKO);
    const before = t('jv', 'agent.off_duty', { opensAt: '§' }).split('§')[0]!;
    expect(words(ack!).startsWith(before)).toBe(true);
    expect(words(ack!)).toContain('30 November 2026');
  });

  it('marks a handoff waiting past HANDOFF_OVERDUE_MINUTES overdue, in the queue and in /metrics', async () => {
    await h.write(BUDI, 'cs');
    await h.replies(1, BUDI);
    const budi = await openHandoffOf(BUDI);
    const metric = async () => {
      const text = (await h.t.app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(/^tagih_handoffs_overdue (\d+)$/m.exec(text)?.[1]);
    };
    expect(await metric()).toBe(0);
    await db()
      .update(handoffs)
      .set({ createdAt: new Date(Date.now() - 31 * 60_000) })
      .where(eq(handoffs.id, budi.id));
    const list = (await inject('GET', '/api/handoffs', 'ani')).json<HandoffSummary[]>();
    expect(list.find((x) => x.id === budi.id)?.overdue).toBe(true);
    expect(list.find((x) => x.waId === JOKO)?.overdue).toBe(false);
    expect(await metric()).toBe(1);
    const text = (await h.t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/^tagih_handoffs_open\{status="waiting"\} 2$/m);
    // claimed, it is no longer waiting, so no longer overdue
    await inject('POST', `/api/handoffs/${budi.id}/claim`, 'bayu');
    expect(await metric()).toBe(0);
  });

  it('returns a handoff idle for HANDOFF_IDLE_HOURS to the bot (the scheduled job), telling the participant at their next message', async () => {
    const budi = await openHandoffOf(BUDI);
    const longAgo = new Date(Date.now() - 25 * HOUR);
    await db().update(handoffs).set({ lastMessageAt: longAgo }).where(eq(handoffs.id, budi.id));
    await db().update(contacts).set({ lastInboundAt: longAgo }).where(eq(contacts.contactKey, BUDI));

    const jobs = createHandoffJobs({
      desk: h.desk,
      redis: { url: TEST_REDIS_URL!, prefix: h.t.prefix },
      everyMs: 200,
    });
    await jobs.start();
    try {
      for (let i = 0; i < 60; i++) {
        const [row] = await db().select().from(handoffs).where(eq(handoffs.id, budi.id));
        if (row?.status === 'resolved') break;
        await sleep(100);
      }
    } finally {
      await jobs.stop();
    }
    const [row] = await db().select().from(handoffs).where(eq(handoffs.id, budi.id));
    expect(row?.status).toBe('resolved');
    expect((await auditOf(budi.id)).map((r) => `${r.action} ${r.actor}`)).toContain(
      'handoff.idle_return system',
    );
    // the window had closed: nothing could go, nothing went
    expect(await h.replies(0, BUDI, 300)).toEqual([]);

    await h.write(BUDI, 'halo');
    const replies = await h.replies(2, BUDI);
    expect(words(replies[0]!)).toBe(t('id', 'handoff.idle_returned', { hours: 24 }));
    expect(replies.length).toBeGreaterThanOrEqual(2); // and the bot answers the message itself
    h.sent.length = 0;
    await h.write(BUDI, 'menu');
    const again = await h.replies(1, BUDI);
    expect(again.map(words)).toEqual([t('id', 'menu.body')]);
  });

  it('tells the participant at once when the window is still open (a shorter HANDOFF_IDLE_HOURS)', async () => {
    await h.write(SRI, 'agen');
    await h.replies(1, SRI);
    h.sent.length = 0;
    const sri = await openHandoffOf(SRI);
    await db()
      .update(handoffs)
      .set({ lastMessageAt: new Date(Date.now() - 2 * HOUR) })
      .where(eq(handoffs.id, sri.id));
    const desk = createDesk({
      db: db(),
      outbound: h.t.outbound,
      t,
      config: { handoff: { overdueMinutes: 30, idleHours: 1 }, businessTz: 'Asia/Jakarta' },
    });
    const jobs = createHandoffJobs({ desk });
    expect(await jobs.runOnce()).toEqual([sri.id]);
    const [told] = await h.replies(1, SRI);
    expect(told).toMatchObject({
      type: 'text',
      text: { body: t('id', 'handoff.idle_returned', { hours: 1 }) },
    });
    // JOKO's handoff is younger than an hour: it stays
    expect((await openHandoffOf(JOKO)).status).toBe('waiting');
  });

  it('lets an admin close a handoff another agent holds; an agent cannot', async () => {
    const joko = await openHandoffOf(JOKO);
    await inject('POST', `/api/handoffs/${joko.id}/claim`, 'bayu');
    expect((await inject('POST', `/api/handoffs/${joko.id}/resolve`, 'ani')).statusCode).toBe(409);
    const res = await inject('POST', `/api/handoffs/${joko.id}/resolve`, 'admin');
    expect(res.statusCode).toBe(200);
    const [told] = (await h.replies(1, JOKO)) as Sent[];
    expect(words(told!)).toBe(t('jv', 'handoff.resolved'));
  });
});
