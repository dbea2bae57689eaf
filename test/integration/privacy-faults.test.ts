import { Writable } from 'node:stream';
import { eq, sql } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { handoffs } from '../../src/db/index.js';
import { type Service, startService } from '../../src/service.js';
import { adminHeaders, captureCloudApi, postWebhook, testEnv } from '../support/app.js';
import {
  createTestDatabase,
  createTestRedis,
  flushPrefix,
  hasServers,
  TEST_REDIS_URL,
  type TestDatabase,
  testRedisPrefix,
} from '../support/servers.js';
import { buttonWebhook, listReplyWebhook, textWebhook } from '../support/webhooks.js';

// Privacy: logs never hold a whole phone number, birth date, payment code or message text,
// whatever failed, a database error's statement parameters included. The service runs as production
// wires it (service.ts, log level trace); a trigger in this file's own database makes one statement fail
// on each path that writes what a participant sent or is sent.

interface Person {
  kpj: string;
  name: string;
  phone: string;
  waId: string;
  birthDate: string;
  paymentCode: string;
}

const person = (n: number, birthDate: string, paymentCode: string): Person => ({
  kpj: `1234567890${n}`,
  name: `Peserta Uji ${n}`,
  phone: `0812-3456-78${10 + n}`,
  waId: `62812345678${10 + n}`,
  birthDate,
  paymentCode,
});

const WEBHOOK = person(1, '17-08-1980', '8890112233445561'); // record inbound fails
const ENGINE = person(2, '02-03-1975', '8890112233445562'); // the engine's own write fails
const ENQUEUE = person(3, '09-11-1969', '8890112233445563'); // a reply with the payment code fails
const NOTICE = person(4, '21-04-1990', '8890112233445564'); // the handoff's return notice fails
const IMPORT = person(5, '30-06-1985', '8890112233445565'); // an API import fails
const EVERYONE = [WEBHOOK, ENGINE, ENQUEUE, NOTICE, IMPORT];

const WEBHOOK_TEXT = `tanggal lahir saya ${WEBHOOK.birthDate}, kode ${WEBHOOK.paymentCode}`;
const NOTICE_TEXT = 'halo, tagihan bulan ini sudah saya bayar di kantor pos Sananwetan';

/** The usual ways a number, a date and a code are written, each of which a log must not hold. */
function secretsOf(p: Person): string[] {
  const core = p.waId.slice(2); // 81234567811: inside 6281…, 081…, +6281…
  const dashed = p.phone.slice(1); // 812-3456-7811
  const [d, m, y] = p.birthDate.split('-');
  return [
    core,
    dashed,
    dashed.replaceAll('-', ' '),
    p.birthDate,
    `${d}/${m}/${y}`,
    `${d}${m}${y}`,
    `${y}-${m}-${d}`,
    p.paymentCode,
  ];
}

describe.skipIf(!hasServers)('logs when a statement fails', () => {
  let database: TestDatabase;
  let service: Service;
  const prefix = testRedisPrefix();
  const lines: string[] = [];
  const records = () => lines.map((l) => JSON.parse(l) as { msg: string; err?: unknown; level: number });

  beforeAll(async () => {
    database = await createTestDatabase();
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const config = loadConfig({
      ...testEnv(database.url, TEST_REDIS_URL!),
      REDIS_PREFIX: prefix,
      LOG_LEVEL: 'trace',
    });
    captureCloudApi([]);
    service = await startService(config, { listen: false, logDestination: sink });
    const imported = await service.app.inject({
      method: 'POST',
      url: '/api/participants',
      headers: adminHeaders,
      payload: {
        participants: EVERYONE.filter((p) => p !== IMPORT).map((p) => ({
          kpj: p.kpj,
          name: p.name,
          phone: p.phone,
          birthDate: p.birthDate,
          category: 'BPU',
        })),
      },
    });
    expect(imported.json()).toMatchObject({ created: 4 });
    const billed = await service.app.inject({
      method: 'POST',
      url: '/api/bills',
      headers: adminHeaders,
      payload: {
        bills: EVERYONE.filter((p) => p !== IMPORT).map((p) => ({
          kpj: p.kpj,
          period: '2026-11',
          amount: 36800,
          dueDate: '2026-11-15',
          paymentCode: p.paymentCode,
        })),
      },
    });
    expect(billed.json()).toMatchObject({ created: 4 });
  });

  afterAll(async () => {
    nock.cleanAll();
    await service?.stop();
    const redis = createTestRedis();
    await flushPrefix(redis, prefix);
    await redis.quit();
    await database?.close();
  });

  /** Makes every insert (or update) into `table` for which `when` holds raise an error. */
  async function failing<T>(table: string, when: string, run: () => Promise<T>): Promise<T> {
    await database.db.execute(
      sql.raw(`create or replace function injected_failure() returns trigger language plpgsql as $$
        begin raise exception 'injected failure on %', tg_table_name; end $$`),
    );
    await database.db.execute(
      sql.raw(`create trigger injected before insert or update on ${table}
        for each row when (${when}) execute function injected_failure()`),
    );
    try {
      return await run();
    } finally {
      await database.db.execute(sql.raw(`drop trigger injected on ${table}`));
    }
  }

  const post = (payload: unknown) => postWebhook(service.app, payload);

  /** The log records with this message, after the work in flight has finished. */
  const logged = (msg: string) => records().filter((r) => r.msg === msg);

  it('keeps statement parameters out of every line, on every path that fails', async () => {
    // record inbound: the webhook's one statement fails, and Meta is told to deliver again
    await failing('messages', `new.direction = 'in'`, async () => {
      expect(await post(textWebhook({ from: WEBHOOK.waId, text: WEBHOOK_TEXT }))).toBe(503);
    });
    expect(logged('failed to record webhook')).toHaveLength(1);

    // the conversation engine: the confirmation of a right birth date cannot be stored
    expect(await post(buttonWebhook({ from: ENGINE.waId, payload: 'BILL', title: 'Cek iuran' }))).toBe(200);
    await failing('verifications', 'true', async () => {
      expect(await post(textWebhook({ from: ENGINE.waId, text: ENGINE.birthDate }))).toBe(200);
    });

    // the outbound insert: the payment steps with the code cannot be queued
    expect(await post(buttonWebhook({ from: ENQUEUE.waId, payload: 'BILL', title: 'Cek iuran' }))).toBe(200);
    expect(await post(textWebhook({ from: ENQUEUE.waId, text: ENQUEUE.birthDate }))).toBe(200);
    await failing('messages', `new.direction = 'out'`, async () => {
      expect(await post(listReplyWebhook({ from: ENQUEUE.waId, id: 'PAYCH:bri', title: 'BRI' }))).toBe(200);
    });
    expect(logged('conversation engine failed on an inbound message')).toHaveLength(2);

    // the handoff desk: an officer closed the conversation after the window had closed, so the bot owes
    // the participant a notice at their next message, and that notice cannot be queued
    expect(await post(textWebhook({ from: NOTICE.waId, text: 'AGEN' }))).toBe(200);
    await database.db.execute(
      sql`update contacts set last_inbound_at = now() - interval '2 days' where contact_key = ${NOTICE.waId}`,
    );
    const [handoff] = await database.db
      .select({ id: handoffs.id })
      .from(handoffs)
      .where(eq(handoffs.contactKey, NOTICE.waId));
    const resolved = await service.app.inject({
      method: 'POST',
      url: `/api/handoffs/${handoff!.id}/resolve`,
      headers: adminHeaders,
    });
    expect(resolved.json()).toMatchObject({ notified: false });
    await failing('messages', `new.direction = 'out'`, async () => {
      expect(await post(textWebhook({ from: NOTICE.waId, text: NOTICE_TEXT }))).toBe(200);
    });
    expect(logged('handoff return notice failed')).toHaveLength(1);

    // an API request: the import's statement fails, the caller gets 500 and the log the details
    await failing('participants', 'true', async () => {
      const res = await service.app.inject({
        method: 'POST',
        url: '/api/participants',
        headers: adminHeaders,
        payload: {
          participants: [
            {
              kpj: IMPORT.kpj,
              name: IMPORT.name,
              phone: IMPORT.phone,
              birthDate: IMPORT.birthDate,
              category: 'BPU',
            },
          ],
        },
      });
      expect(res.statusCode).toBe(500);
    });
    expect(logged('request failed')).toHaveLength(1);

    const log = lines.join('\n');
    for (const secret of [...EVERYONE.flatMap(secretsOf), WEBHOOK_TEXT, NOTICE_TEXT]) {
      expect(log, `the log holds ${secret}`).not.toContain(secret);
    }
  });

  it('keeps what an operator needs: the error class, the SQLSTATE and the tables of the statement', () => {
    for (const msg of [
      'failed to record webhook',
      'conversation engine failed on an inbound message',
      'handoff return notice failed',
      'request failed',
    ]) {
      const [record] = logged(msg);
      const err = JSON.stringify(record?.err);
      expect(err, msg).toContain('DrizzleQueryError');
      expect(err, msg).toContain('P0001'); // raise_exception, from the injected trigger
    }
    expect(JSON.stringify(logged('failed to record webhook')[0]?.err)).toContain('messages');
  });
});
