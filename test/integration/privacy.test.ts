import { Writable } from 'node:stream';
import nock from 'nock';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/logger.js';
import { textMessage } from '../../src/whatsapp/index.js';
import { APP_SECRET, adminHeaders, CLOUD_API, startTestApp, type TestApp } from '../support/app.js';
import { randomWamid, signedRequest, textWebhook } from '../support/webhooks.js';

// Privacy: logs never hold a whole phone number, birth date, payment code or message text.
describe('logs', () => {
  let t: TestApp;
  const lines: string[] = [];
  const phone = '6281234567810';
  const secretText = 'tanggal lahir saya 17-08-1980';
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    t = await startTestApp({ logger: pino(loggerOptions('trace'), sink) });
  });
  afterAll(async () => {
    nock.cleanAll();
    await t?.close();
  });

  it('never hold a whole phone number, birth date, payment code, key or message text', async () => {
    const webhook = signedRequest(textWebhook({ from: phone, text: secretText }), APP_SECRET);
    await t.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: webhook.headers,
      payload: webhook.body,
    });
    await t.app.inject({
      method: 'POST',
      url: '/api/participants',
      headers: adminHeaders,
      payload: {
        participants: [
          {
            kpj: '12345678910',
            name: 'Sri Wahyuni',
            phone: '0812-3456-7810',
            birthDate: '17-08-1980',
            category: 'BPU',
          },
          { kpj: '1', name: 'Bad', phone: '0812 3456 7811', birthDate: '31-02-1980', category: 'BPU' },
        ],
      },
    });
    await t.app.inject({
      method: 'POST',
      url: '/api/bills',
      headers: adminHeaders,
      payload: {
        bills: [
          {
            kpj: '12345678910',
            period: '2026-11',
            amount: 36800,
            dueDate: '2026-11-15',
            paymentCode: '8890112233445566',
          },
        ],
      },
    });
    await t.app.inject({
      url: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess-me&hub.challenge=1',
    });
    nock(CLOUD_API)
      .post(/messages$/)
      .reply(200, { messaging_product: 'whatsapp', messages: [{ id: randomWamid() }] });
    await t.outbound.enqueue({
      contactKey: phone,
      body: textMessage(phone, 'Kode bayar Anda 8890112233445566'),
      priority: 'reply',
      origin: { kind: 'reply' },
    });
    await new Promise((r) => setTimeout(r, 500));
    await t.app.drainBackgroundWork();

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(3);
    for (const secret of [
      phone,
      '081234567810',
      '0812-3456-7810',
      secretText,
      '17-08-1980',
      '31-02-1980',
      '8890112233445566',
      'guess-me',
      APP_SECRET,
    ]) {
      expect(log, `log leaks ${secret}`).not.toContain(secret);
    }
    expect(log).not.toMatch(/Bearer\s+\S{10,}/);
  });
});
