import { randomInt } from 'node:crypto';
import { eq } from 'drizzle-orm';
import nock from 'nock';
import { contacts, type Db, messages } from '../../../src/db/index.js';
import { type CloudApiClient, createCloudApiClient } from '../../../src/whatsapp/index.js';

// A fake Cloud API on nock: records when each request arrived and answers from a per-recipient script
// (default: 200 with a fresh wamid), so tests assert on what the "Cloud API" saw, not on configuration.

export const API = 'http://cloud.test';
const VERSION = 'v23.0';
const PHONE_NUMBER_ID = '1234567890';
export const CLIENT_TIMEOUT_MS = 400;

export interface Received {
  at: number;
  to: string;
  body: Record<string, unknown>;
  /** the wamid answered, when the answer was a success */
  wamid?: string;
}

export type Scripted =
  | { status: 200; wamid?: string; delayMs?: number }
  | { status: number; body?: unknown; delayMs?: number };

export const graphError = (code: number, title: string) => ({
  error: { message: `(#${code}) ${title}`, type: 'OAuthException', code, fbtrace_id: 'AbC' },
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function fakeCloudApi() {
  const received: Received[] = [];
  const scripts = new Map<string, Scripted[]>();
  let n = 0;
  nock(API)
    .persist()
    .post(`/${VERSION}/${PHONE_NUMBER_ID}/messages`)
    .reply(async (_uri, requestBody) => {
      const body = requestBody as Record<string, unknown>;
      const to = String(body.to ?? body.recipient);
      const entry: Received = { at: Date.now(), to, body };
      received.push(entry);
      const next = scripts.get(to)?.shift();
      if (next?.delayMs) await sleep(next.delayMs);
      if (next && next.status !== 200) return [next.status, 'body' in next ? (next.body ?? '') : ''];
      const wamid = (next && 'wamid' in next && next.wamid) || `wamid.T${++n}.${to}`;
      entry.wamid = wamid;
      return [
        200,
        { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: wamid }] },
      ];
    });
  return {
    received,
    script(to: string, ...replies: Scripted[]) {
      scripts.set(to, replies);
    },
    to(to: string): Received[] {
      return received.filter((r) => r.to === to);
    },
  };
}

export function testClient(): CloudApiClient {
  return createCloudApiClient({
    apiUrl: API,
    apiVersion: VERSION,
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: 'test-token',
    timeoutMs: CLIENT_TIMEOUT_MS,
  });
}

export const newWaId = (): string => `62812${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;

export async function withContact(db: Db, contactKey: string, lastInboundHoursAgo: number): Promise<void> {
  await db.insert(contacts).values({
    contactKey,
    waId: contactKey,
    lastInboundAt: new Date(Date.now() - lastInboundHoursAgo * 3_600_000),
  });
}

export async function rowOf(db: Db, id: number) {
  const [row] = await db.select().from(messages).where(eq(messages.id, id));
  if (!row) throw new Error(`no message ${id}`);
  return row;
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(15);
  }
}

export async function waitForStatus(db: Db, id: number, statuses: string[], timeoutMs?: number) {
  await waitFor(async () => statuses.includes((await rowOf(db, id)).status), timeoutMs);
  return rowOf(db, id);
}

/** The most arrivals inside any window of `windowMs` (half-open, as the cap is counted). */
export function mostInAnyWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let most = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! >= windowMs) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

export { sleep };
