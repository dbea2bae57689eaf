import { and, eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/conversations/index.js';
import {
  auditLog,
  consents,
  contactLinks,
  handoffs,
  linkRequests,
  participants,
} from '../../src/db/index.js';
import {
  adminHeaders,
  captureCloudApi,
  postWebhook,
  sendsSettled,
  startTestApp,
  type TestApp,
} from '../support/app.js';
import { validateOas } from '../support/openapi.js';
import { buttonReplyWebhook, buttonWebhook, textWebhook } from '../support/webhooks.js';

// A number belongs to whoever is registered on it now. Operators recycle prepaid numbers and
// officers re-import participants with new ones; nothing learnt about a number outlives its holder.

const t = createTranslator();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sent {
  to?: string;
  type: string;
  text?: { body: string };
  interactive?: { body: { text: string } };
  template?: {
    name: string;
    language: { code: string };
    components?: { type: string; parameters: { text?: string; payload?: string }[] }[];
  };
}
const words = (b: Sent) => b.text?.body ?? b.interactive?.body.text ?? '';

/** 0812-7770-00NN as officers type it, and its wa_id. */
const phone = (n: number) => `0812-7770-${String(n).padStart(4, '0')}`;
const waId = (n: number) => `628127770${String(n).padStart(4, '0')}`;
const kpjOf = (n: number) => `100000000${String(n).padStart(2, '0')}`;

describe('phone numbers that change owners', () => {
  let app: TestApp;
  const sent: Sent[] = [];
  // The engine's clock; the inbox's is the real one, so the test keeps to real time.
  let clock = new Date();
  let agentKey = '';

  beforeAll(async () => {
    app = await startTestApp({ conversations: true, now: () => clock });
    captureCloudApi(sent);
    const res = await app.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: adminHeaders,
      payload: { name: 'petugas-ani', role: 'agent' },
    });
    agentKey = res.json().key;
  });
  afterAll(async () => {
    nock.cleanAll();
    await app?.close();
  });
  beforeEach(async () => {
    await forget();
    clock = new Date();
  });

  const api = async (method: 'GET' | 'POST', url: string, payload?: object, key?: string) =>
    app.app.inject({
      method,
      url,
      headers: key ? { authorization: `Bearer ${key}` } : adminHeaders,
      ...(payload ? { payload } : {}),
    });

  const register = async (
    rows: { n: number; phone: number; birthDate: string; category?: 'BPU' | 'PU'; name?: string }[],
  ) => {
    const res = await api('POST', '/api/participants', {
      participants: rows.map((r) => ({
        kpj: kpjOf(r.n),
        name: r.name ?? `Peserta ${r.n}`,
        phone: phone(r.phone),
        birthDate: r.birthDate,
        category: r.category ?? 'BPU',
      })),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().rejected).toEqual([]);
  };

  const bill = async (n: number, amount: number, paymentCode: string) => {
    const res = await api('POST', '/api/bills', {
      bills: [{ kpj: kpjOf(n), period: '2026-11', amount, dueDate: '2026-11-15', paymentCode }],
    });
    expect(res.json().rejected).toEqual([]);
  };

  const post = async (payload: unknown) => expect(await postWebhook(app.app, payload)).toBe(200);
  /** Lets what was already queued go out, then forgets every body sent so far. */
  const forget = async () => {
    await sendsSettled(app);
    sent.length = 0;
  };
  const say = (n: number, text: string) => post(textWebhook({ from: waId(n), text }));
  const tapBill = (n: number) => post(buttonWebhook({ from: waId(n), payload: 'BILL', title: 'Cek iuran' }));

  /** Waits until `count` bodies went to this number (replies go one after the other), and a little more. */
  const to = async (n: number, count: number): Promise<Sent[]> => {
    const mine = () => sent.filter((b) => b.to === waId(n));
    for (let i = 0; i < 100 && mine().length < count; i++) await sleep(50);
    await sleep(150);
    return mine();
  };
  const wordsTo = async (n: number, count: number) => (await to(n, count)).map(words);

  const optedOut = async (n: number) =>
    (
      await app.database.db
        .select()
        .from(participants)
        .where(eq(participants.kpj, kpjOf(n)))
    )[0]?.optedOut;

  it('a birth-date confirmation does not pass to the next person registered on the number', async () => {
    await register([{ n: 1, phone: 1, birthDate: '01-01-1970', name: 'Ahmad Pertama' }]);
    await bill(1, 36_800, 'PCA0000000000001');
    await tapBill(1);
    await say(1, '01-01-1970');
    expect((await wordsTo(1, 2))[1]).toContain('Rp36.800');

    // Ahmad has a new phone; the branch gives his old number to Bambang, who owes another amount.
    await register([
      { n: 1, phone: 2, birthDate: '01-01-1970', name: 'Ahmad Pertama' },
      { n: 2, phone: 1, birthDate: '02-02-1980', name: 'Bambang Kedua' },
    ]);
    await bill(2, 50_000, 'PCB0000000000002');
    await forget();
    await tapBill(1);
    expect(await wordsTo(1, 1)).toEqual([t('id', 'verify.ask')]);
    await say(1, '02-02-1980');
    const reply = (await wordsTo(1, 2))[1]!;
    expect(reply).toContain('Bambang Kedua');
    expect(reply).toContain('Rp50.000');
    expect(JSON.stringify(sent)).not.toMatch(/Ahmad|36\.800|PCA0000000000001/);

    const [moved] = await app.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'number.moved'), eq(auditLog.subject, 'number:62812****0001')));
    expect(moved?.details).toEqual({ from: [kpjOf(1)], to: [kpjOf(2)] });
    expect(moved?.actor).toBe('key:bootstrap-admin');
  });

  it('one import that gives a number up in one statement and to a new participant in another audits one move', async () => {
    await register([{ n: 18, phone: 95, birthDate: '18-06-1978' }]);
    // rows with and without a language go in separate statements of the same transaction
    const res = await api('POST', '/api/participants', {
      participants: [
        {
          kpj: kpjOf(18),
          name: 'Lama',
          phone: phone(96),
          birthDate: '18-06-1978',
          category: 'BPU',
          language: 'en',
        },
        { kpj: kpjOf(19), name: 'Baru', phone: phone(95), birthDate: '19-07-1989', category: 'BPU' },
      ],
    });
    expect(res.json()).toMatchObject({ created: 1, updated: 1, rejected: [] });
    const moves = await app.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'number.moved'), eq(auditLog.subject, 'number:62812****0095')));
    expect(moves.map((m) => m.details)).toEqual([{ from: [kpjOf(18)], to: [kpjOf(19)] }]);
  });

  it('STOP from a number opts out whoever is registered on it now, not its former holder', async () => {
    await register([{ n: 3, phone: 11, birthDate: '03-03-1970' }]);
    await say(11, 'menu');
    await register([
      { n: 3, phone: 12, birthDate: '03-03-1970' },
      { n: 4, phone: 11, birthDate: '04-04-1980' },
    ]);
    await forget();
    await say(11, 'STOP');
    expect(await wordsTo(11, 1)).toEqual([t('id', 'consent.stopped')]);
    expect(await optedOut(4)).toBe(true);
    expect(await optedOut(3)).toBe(false);
  });

  it('a family phone: STOP stops the reminders of everyone registered on it, MULAI starts them again', async () => {
    await register([
      { n: 5, phone: 21, birthDate: '05-05-1965' },
      { n: 6, phone: 21, birthDate: '06-06-1995' },
    ]);
    await bill(5, 36_800, 'PC05');
    await bill(6, 36_800, 'PC06');
    const audience = async () =>
      (
        await api('POST', '/api/campaigns', {
          name: 'keluarga',
          template: { name: 'iuran_reminder', language: 'id' },
          audience: { kpj: [kpjOf(5), kpjOf(6)] },
          dryRun: true,
        })
      ).json().audienceSize;
    expect(await audience()).toBe(2);

    await say(21, 'STOP');
    expect(await wordsTo(21, 1)).toEqual([t('id', 'consent.stopped')]);
    expect([await optedOut(5), await optedOut(6)]).toEqual([true, true]);
    expect(await audience()).toBe(0);
    const ledger = await app.database.db
      .select()
      .from(consents)
      .where(eq(consents.contactKey, waId(21)));
    expect(ledger.map((c) => c.action)).toEqual(['opt_out', 'opt_out']);

    await forget();
    await say(21, 'MULAI');
    expect(await wordsTo(21, 1)).toEqual([t('id', 'consent.started')]);
    expect(await audience()).toBe(2);
  });

  it('a participant re-imported with a new number is reachable again (the 131026 mark was the old number’s)', async () => {
    await register([{ n: 7, phone: 31, birthDate: '07-07-1977' }]);
    await bill(7, 36_800, 'PC07');
    await app.database.db
      .update(participants)
      .set({ whatsappUnreachableAt: new Date() })
      .where(eq(participants.kpj, kpjOf(7)));
    const unreachable = async () =>
      (
        await app.database.db
          .select()
          .from(participants)
          .where(eq(participants.kpj, kpjOf(7)))
      )[0]?.whatsappUnreachableAt;

    await register([{ n: 7, phone: 31, birthDate: '07-07-1977', name: 'Nama Baru' }]);
    expect(await unreachable()).not.toBeNull();
    await register([{ n: 7, phone: 32, birthDate: '07-07-1977' }]);
    expect(await unreachable()).toBeNull();
  });

  it("an import that moves a number ends the old pair's lock and conversation", async () => {
    await register([{ n: 8, phone: 41, birthDate: '08-08-1968' }]);
    await tapBill(41);
    for (const wrong of ['01-01-1901', '02-01-1901', '03-01-1901']) await say(41, wrong);
    await forget();
    await tapBill(41);
    expect((await wordsTo(41, 1))[0]).toContain(t('id', 'verify.locked', { unlockAt: '' }).slice(0, 20));

    // The number goes to Indah: the lock was about the old pair.
    await register([
      { n: 8, phone: 42, birthDate: '08-08-1968' },
      { n: 9, phone: 41, birthDate: '09-09-1999' },
    ]);
    await forget();
    await tapBill(41);
    expect(await wordsTo(41, 1)).toEqual([t('id', 'verify.ask')]);

    // Indah was asked for her birth date; the number moves on before she answers. The next holder's
    // message is not taken as an answer to a question asked of someone else.
    await register([
      { n: 9, phone: 43, birthDate: '09-09-1999' },
      { n: 10, phone: 41, birthDate: '10-10-1990' },
    ]);
    await forget();
    await say(41, '10-10-1990');
    const [answer] = await wordsTo(41, 1);
    expect(answer).not.toBe(t('id', 'verify.mismatch', { attemptsLeft: 2 }));
    expect(answer).not.toContain('Rp');
  });

  /**
   * An unregistered number asks to speak for participant n: taps the bill (3 replies: not registered, how
   * to register, the offer), yes (the KPJ asked), types the KPJ (the date asked) and a birth date.
   */
  const askToLink = async (from: number, n: number, birthDate: string) => {
    await tapBill(from);
    await post(buttonReplyWebhook({ from: waId(from), id: 'LINK:YES', title: 'Ya, hubungkan' }));
    await say(from, kpjOf(n));
    await say(from, birthDate);
  };
  const handoffOf = async (from: number) =>
    (
      await app.database.db
        .select()
        .from(handoffs)
        .where(eq(handoffs.contactKey, waId(from)))
    )[0]!;

  it('a KPJ and birth date from another number open nothing: an officer decides, the registered number is told', async () => {
    await register([{ n: 11, phone: 51, birthDate: '11-11-1971', name: 'Kartini Sebelas' }]);
    await bill(11, 36_800, 'PC11000000000011');
    await askToLink(59, 11, '11-11-1971');
    const asked = await to(59, 7);
    expect(asked.map(words)).toContain(t('id', 'link.requested'));
    expect(JSON.stringify(asked)).not.toMatch(/36\.800|PC11000000000011/);

    // the registered number has not written in 24 hours: it is told by the notice template
    const notice = (await to(51, 1))[0]!;
    expect(notice.template?.name).toBe('permintaan_tautan_akun');
    expect(validateOas('TemplateMessage', notice).errors).toBe('');
    expect(notice.template?.components?.[0]?.parameters.map((p) => p.text)).toEqual([
      'Kartini Sebelas',
      '62812****0059',
      '*******0011',
    ]);

    // the officer's view: what was typed, the registered number and its notice
    const handoff = await handoffOf(59);
    expect(handoff.reason).toBe('link_request');
    const view = (await api('GET', `/api/handoffs/${handoff.id}`, undefined, agentKey)).json();
    expect(view.linkRequest).toMatchObject({
      kpj: kpjOf(11),
      name: 'Kartini Sebelas',
      registeredWaId: waId(51),
      status: 'pending',
    });
    expect(view.linkRequest.noticeStatus).toMatch(/accepted|sent|queued/);
    expect(view.bills).toBeNull();

    // nothing until the officer approves; an agent must hold the conversation to decide
    await forget();
    await tapBill(59);
    expect(JSON.stringify(await to(59, 0))).not.toContain('36.800');
    const early = await api('POST', `/api/handoffs/${handoff.id}/link/approve`, undefined, agentKey);
    expect(early.statusCode).toBe(409);
    expect(early.json().reason).toBe('not_claimed');
    await api('POST', `/api/handoffs/${handoff.id}/claim`, undefined, agentKey);
    const approved = await api('POST', `/api/handoffs/${handoff.id}/link/approve`, undefined, agentKey);
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ notified: true, linkRequest: { status: 'approved' } });
    expect((await wordsTo(59, 1)).at(-1)).toBe(t('id', 'link.approved'));
    const again = await api('POST', `/api/handoffs/${handoff.id}/link/approve`, undefined, agentKey);
    expect(again.json().reason).toBe('no_link_request');
    const [audit] = await app.database.db.select().from(auditLog).where(eq(auditLog.action, 'link.approved'));
    expect(audit).toMatchObject({ actor: 'key:petugas-ani', subject: `participant:${kpjOf(11)}` });

    // back to the bot: the bill goes to the linked number now, the approval standing for a confirmation
    await api('POST', `/api/handoffs/${handoff.id}/resolve`, undefined, agentKey);
    expect((await wordsTo(59, 2)).at(-1)).toBe(t('id', 'handoff.resolved'));
    await forget();
    await tapBill(59);
    expect((await wordsTo(59, 1))[0]).toContain('Rp36.800');

    // 31 days on, the linked number confirms again with the participant's birth date
    clock = new Date(Date.now() + 31 * 86_400_000);
    await forget();
    await tapBill(59);
    expect(await wordsTo(59, 1)).toEqual([t('id', 'verify.ask')]);
    await say(59, '11-11-1971');
    expect((await wordsTo(59, 2))[1]).toContain('Rp36.800');
  });

  it('a rejected request links nothing and says so', async () => {
    await register([{ n: 12, phone: 61, birthDate: '12-12-1972' }]);
    await askToLink(69, 12, '12-12-1972');
    const handoff = await handoffOf(69);
    await api('POST', `/api/handoffs/${handoff.id}/claim`, undefined, agentKey);
    const rejected = await api('POST', `/api/handoffs/${handoff.id}/link/reject`, undefined, agentKey);
    expect(rejected.json().linkRequest.status).toBe('rejected');
    expect((await wordsTo(69, 8)).at(-1)).toBe(t('id', 'link.rejected'));
    const links = await app.database.db
      .select()
      .from(contactLinks)
      .where(eq(contactLinks.contactKey, waId(69)));
    expect(links).toEqual([]);
  });

  it('three wrong tries lock a KPJ for linking, whichever numbers they came from', async () => {
    await register([{ n: 13, phone: 71, birthDate: '13-01-1973' }]);
    for (const from of [72, 73, 74]) await askToLink(from, 13, '01-01-1999');
    expect((await wordsTo(72, 6)).at(-1)).toBe(t('id', 'link.no_match', { attemptsLeft: 2 }));
    expect((await wordsTo(73, 6)).at(-1)).toBe(t('id', 'link.no_match', { attemptsLeft: 1 }));
    expect((await wordsTo(74, 6)).at(-1)).toBe(t('id', 'link.locked_now'));
    // a fourth number with the right birth date gets nowhere for a day
    await askToLink(75, 13, '13-01-1973');
    expect((await wordsTo(75, 6)).at(-1)).toBe(t('id', 'link.locked_now'));
    const requests = await app.database.db
      .select()
      .from(linkRequests)
      .where(eq(linkRequests.contactKey, waId(75)));
    expect(requests).toEqual([]);
  });

  it('a request cannot be approved once someone is registered on the asking number', async () => {
    await register([{ n: 14, phone: 81, birthDate: '14-02-1974' }]);
    await askToLink(89, 14, '14-02-1974');
    const handoff = await handoffOf(89);
    await register([{ n: 15, phone: 89, birthDate: '15-03-1985' }]);
    await api('POST', `/api/handoffs/${handoff.id}/claim`, undefined, agentKey);
    const res = await api('POST', `/api/handoffs/${handoff.id}/link/approve`, undefined, agentKey);
    expect(res.statusCode).toBe(409);
    expect(res.json().reason).toBe('number_registered');
  });

  it("an officer's re-engagement template never names the arrears of a number's former holder", async () => {
    await register([{ n: 16, phone: 91, birthDate: '16-04-1976', name: 'Slamet Enambelas' }]);
    await bill(16, 36_800, 'PC16');
    await say(91, 'AGEN');
    const handoff = await handoffOf(91);
    await api('POST', `/api/handoffs/${handoff.id}/claim`, undefined, agentKey);
    await register([
      { n: 16, phone: 92, birthDate: '16-04-1976', name: 'Slamet Enambelas' },
      { n: 17, phone: 91, birthDate: '17-05-1987' },
    ]);
    await forget();
    const res = await api('POST', `/api/handoffs/${handoff.id}/reengage`, undefined, agentKey);
    expect(res.statusCode).toBe(409);
    expect(res.json().reason).toBe('no_template');
    expect(JSON.stringify(await to(91, 0))).not.toContain('Slamet');
  });
});
