import { createServer } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CloudApiClient,
  createCloudApiClient,
  type SendOutcome,
  templateMessage,
  textMessage,
  withCallbackData,
} from '../../../src/whatsapp/index.js';

const API = 'https://graph.example.test';
const PATH = '/v23.0/106540352242922/messages';
const TOKEN = 'EAAG-secret-token-do-not-leak';

const client = (timeoutMs?: number, apiUrl = API): CloudApiClient =>
  createCloudApiClient({
    apiUrl,
    apiVersion: 'v23.0',
    phoneNumberId: '106540352242922',
    accessToken: TOKEN,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });

const body = textMessage('6281234567890', 'Halo Budi!');

const graphError = (code: number, message: string, extra: Record<string, unknown> = {}) => ({
  error: { message, type: 'OAuthException', code, fbtrace_id: 'Az8or2yhqkZfEZ', ...extra },
});

function failure(outcome: SendOutcome) {
  if (outcome.ok) throw new Error('expected a failure');
  expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  return outcome.failure;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe('send', () => {
  it('posts the exact body with bearer auth and JSON, and returns the wamid and wa_id', async () => {
    let seen: { headers: Record<string, unknown>; body: unknown } | undefined;
    const sent = withCallbackData(
      templateMessage('6281234567890', {
        name: 'pengingat_iuran',
        language: 'id',
        bodyParameters: ['Budi'],
        quickReplyPayloads: ['PAID:42'],
      }),
      'msg:42',
    );
    nock(API)
      .post(PATH)
      .reply(function (_uri, requestBody) {
        seen = { headers: this.req.headers, body: requestBody };
        return [
          200,
          {
            messaging_product: 'whatsapp',
            contacts: [{ input: '6281234567890', wa_id: '6281234567890' }],
            messages: [{ id: 'wamid.OK1', message_status: 'accepted' }],
          },
        ];
      });
    const outcome = await client().send(sent);
    expect(outcome).toEqual({ ok: true, wamid: 'wamid.OK1', waId: '6281234567890' });
    expect(seen?.body).toEqual(sent);
    expect(seen?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen?.headers['content-type']).toBe('application/json');
  });

  it('returns the user id of a BSUID send', async () => {
    nock(API)
      .post(PATH, (b: Record<string, unknown>) => b.recipient === 'ID.123456789' && !('to' in b))
      .reply(200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: 'ID.123456789', user_id: 'ID.123456789' }],
        messages: [{ id: 'wamid.OK2' }],
      });
    expect(await client().send(textMessage('ID.123456789', 'x'))).toEqual({
      ok: true,
      wamid: 'wamid.OK2',
      userId: 'ID.123456789',
    });
  });

  it('joins apiUrl with a trailing slash cleanly', async () => {
    nock(API)
      .post(PATH)
      .reply(200, { messages: [{ id: 'wamid.OK3' }] });
    expect(await client(undefined, `${API}/`).send(body)).toMatchObject({ ok: true, wamid: 'wamid.OK3' });
  });

  it.each([
    [130429, 400, 'retryable', '(#130429) Rate limit hit'],
    [131056, 400, 'retryable', '(#131056) (Business Account, Consumer Account) pair rate limit hit'],
    [131026, 400, 'permanent', '(#131026) Message Undeliverable'],
    [132001, 404, 'permanent', '(#132001) Template name does not exist in the translation'],
    [131047, 400, 'window-closed', '(#131047) Re-engagement message'],
    [190, 401, 'permanent', 'Error validating access token: Session has expired'],
  ] as const)('code %i (HTTP %i) is %s', async (code, status, kind, message) => {
    nock(API)
      .post(PATH)
      .reply(
        status,
        graphError(code, message, { error_data: { messaging_product: 'whatsapp', details: 'why' } }),
      );
    expect(failure(await client().send(body))).toEqual({
      kind,
      code,
      title: message,
      details: 'why',
      httpStatus: status,
      timedOut: false,
    });
  });

  it('is_transient: true makes an unknown code retryable', async () => {
    nock(API)
      .post(PATH)
      .reply(
        500,
        graphError(1, 'An unknown error has occurred.', { type: 'GraphMethodException', is_transient: true }),
      );
    expect(failure(await client().send(body))).toMatchObject({ kind: 'retryable', code: 1, httpStatus: 500 });
  });

  it('classifies a non-JSON 5xx from the HTTP status', async () => {
    nock(API).post(PATH).reply(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' });
    expect(failure(await client().send(body))).toEqual({
      kind: 'retryable',
      code: null,
      title: 'HTTP 502',
      httpStatus: 502,
      timedOut: false,
    });
  });

  it('classifies a non-JSON 4xx as permanent', async () => {
    nock(API).post(PATH).reply(400, 'nope');
    expect(failure(await client().send(body))).toMatchObject({
      kind: 'permanent',
      code: null,
      httpStatus: 400,
    });
  });

  it('treats a 200 without a wamid as retryable', async () => {
    nock(API).post(PATH).reply(200, { messaging_product: 'whatsapp', messages: [] });
    expect(failure(await client().send(body))).toMatchObject({
      kind: 'retryable',
      code: null,
      httpStatus: 200,
    });
    nock(API).post(PATH).reply(200, 'OK');
    expect(failure(await client().send(body))).toMatchObject({ kind: 'retryable', httpStatus: 200 });
  });

  it('scrubs the token if Meta echoes it back', async () => {
    nock(API)
      .post(PATH)
      .reply(400, graphError(190, `Malformed access token ${TOKEN}`, { error_data: { details: TOKEN } }));
    const f = failure(await client().send(body));
    expect(f.title).toBe('Malformed access token [redacted]');
    expect(f.details).toBe('[redacted]');
  });

  it('returns a timed-out retryable failure when the reply is later than timeoutMs', async () => {
    nock(API)
      .post(PATH)
      .delay(1_000)
      .reply(200, { messages: [{ id: 'wamid.LATE' }] });
    const started = Date.now();
    const f = failure(await client(100).send(body));
    expect(f).toEqual({ kind: 'retryable', code: null, title: 'no reply within 100 ms', timedOut: true });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('returns a retryable network failure when the connection is refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 9));
      });
    });
    nock.enableNetConnect('127.0.0.1');
    try {
      const f = failure(await client(2_000, `http://127.0.0.1:${port}`).send(body));
      expect(f).toMatchObject({ kind: 'retryable', code: null, timedOut: false });
      expect(f.title).toBe('network error: ECONNREFUSED');
      expect(f.httpStatus).toBeUndefined();
    } finally {
      nock.disableNetConnect();
    }
  });

  it('never throws, even for a body that cannot be serialised', async () => {
    const cyclic = { ...body } as Record<string, unknown>;
    cyclic.self = cyclic;
    const outcome = await client().send(cyclic as unknown as typeof body);
    expect(failure(outcome)).toMatchObject({ kind: 'permanent', code: null });
  });
});
