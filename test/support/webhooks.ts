import { randomBytes } from 'node:crypto';
import { isBsuid, signBody } from '../../src/whatsapp/index.js';

/**
 * Webhook payloads as Meta sends them (the OAS examples in test/fixtures/whatsapp-openapi), for tests
 * anywhere in the project. Pass a BSUID as `from` for a username user Meta sends with no phone number; pass
 * `userId` with a phone `from` for the mixed form. The OAS v23 schema requires `from`, so only phone
 * senders validate against it.
 */

export const TEST_WABA_ID = '102290129340398';
export const TEST_PHONE_NUMBER_ID = '106540352242922';
export const TEST_DISPLAY_PHONE_NUMBER = '6281100000000';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface WebhookPayload {
  object: 'whatsapp_business_account';
  entry: { id: string; changes: { field: string; value: JsonObject }[] }[];
}

export type Timestamp = Date | number;

/** A random wamid in Meta's shape, unique per call. */
export const randomWamid = (): string => `wamid.HBgN${randomBytes(24).toString('base64url')}`;

const seconds = (t: Timestamp | undefined): string =>
  String(t instanceof Date ? Math.floor(t.getTime() / 1000) : (t ?? Math.floor(Date.now() / 1000)));

const metadata = (phoneNumberId = TEST_PHONE_NUMBER_ID): JsonObject => ({
  display_phone_number: TEST_DISPLAY_PHONE_NUMBER,
  phone_number_id: phoneNumberId,
});

/** One entry, one change per value: Meta may batch several entries and changes in one POST. */
export function envelope(
  values: JsonObject | JsonObject[],
  opts: { field?: string; wabaId?: string } = {},
): WebhookPayload {
  const list = Array.isArray(values) ? values : [values];
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: opts.wabaId ?? TEST_WABA_ID,
        changes: list.map((value) => ({ field: opts.field ?? 'messages', value })),
      },
    ],
  };
}

interface SenderOpts {
  from: string;
  userId?: string;
  name?: string;
  wamid?: string;
  timestamp?: Timestamp;
  phoneNumberId?: string;
}

/** The sender fields of a message and its `contacts[]` entry, phone and/or BSUID. */
function sender(opts: SenderOpts): { contact: JsonObject; fromFields: JsonObject } {
  const userId = opts.userId ?? (isBsuid(opts.from) ? opts.from : undefined);
  const waId = isBsuid(opts.from) ? undefined : opts.from;
  const contact: JsonObject = { profile: { name: opts.name ?? 'Budi Santoso' } };
  const fromFields: JsonObject = {};
  if (waId) {
    contact.wa_id = waId;
    fromFields.from = waId;
  }
  if (userId) {
    contact.user_id = userId;
    fromFields.from_user_id = userId;
  }
  return { contact, fromFields };
}

function messageWebhook(opts: SenderOpts, type: string, content: JsonObject): WebhookPayload {
  const { contact, fromFields } = sender(opts);
  return envelope({
    messaging_product: 'whatsapp',
    metadata: metadata(opts.phoneNumberId),
    contacts: [contact],
    messages: [
      {
        ...fromFields,
        id: opts.wamid ?? randomWamid(),
        timestamp: seconds(opts.timestamp),
        type,
        ...content,
      },
    ],
  });
}

// Replies always quote the business's message in Meta's examples, and OAS requires the context.
const context = (contextWamid: string | undefined): JsonObject => ({
  context: { from: TEST_DISPLAY_PHONE_NUMBER, id: contextWamid ?? randomWamid() },
});

export function textWebhook(opts: SenderOpts & { text: string }): WebhookPayload {
  return messageWebhook(opts, 'text', { text: { body: opts.text } });
}

/** A quick-reply tap on a template: `payload` is what we set when sending, `title` the button label. */
export function buttonWebhook(
  opts: SenderOpts & { payload: string; title: string; contextWamid?: string },
): WebhookPayload {
  return messageWebhook(opts, 'button', {
    ...context(opts.contextWamid),
    button: { payload: opts.payload, text: opts.title },
  });
}

export function buttonReplyWebhook(
  opts: SenderOpts & { id: string; title: string; contextWamid?: string },
): WebhookPayload {
  return messageWebhook(opts, 'interactive', {
    ...context(opts.contextWamid),
    interactive: { type: 'button_reply', button_reply: { id: opts.id, title: opts.title } },
  });
}

export function listReplyWebhook(
  opts: SenderOpts & { id: string; title: string; description?: string; contextWamid?: string },
): WebhookPayload {
  const row: JsonObject = { id: opts.id, title: opts.title };
  if (opts.description !== undefined) row.description = opts.description;
  return messageWebhook(opts, 'interactive', {
    ...context(opts.contextWamid),
    interactive: { type: 'list_reply', list_reply: row },
  });
}

const sha256 = (): string => randomBytes(32).toString('base64');
const mediaId = (): string => String(1_000_000_000_000_000n + BigInt(randomBytes(6).readUIntBE(0, 6)));

export function mediaWebhook(
  opts: SenderOpts & { type: 'image' | 'audio' | 'sticker'; caption?: string },
): WebhookPayload {
  const base = { sha256: sha256(), id: mediaId() };
  const media: Record<typeof opts.type, JsonObject> = {
    image: {
      ...base,
      mime_type: 'image/jpeg',
      ...(opts.caption !== undefined ? { caption: opts.caption } : {}),
    },
    audio: { ...base, mime_type: 'audio/ogg; codecs=opus', voice: true },
    sticker: { ...base, mime_type: 'image/webp', animated: false },
  };
  return messageWebhook(opts, opts.type, { [opts.type]: media[opts.type] });
}

export interface StatusSpec {
  wamid: string;
  status: 'sent' | 'delivered' | 'read' | 'failed' | 'played';
  /** A phone wa_id goes as `recipient_id`, a BSUID as `recipient_user_id`. */
  recipient: string;
  timestamp?: Timestamp;
  errors?: { code: number; title: string; details?: string }[];
  pricing?: { category: string; type?: string; billable?: boolean; pricingModel?: string };
  bizOpaqueCallbackData?: string;
}

function statusItem(s: StatusSpec): JsonObject {
  const item: JsonObject = { id: s.wamid, status: s.status, timestamp: seconds(s.timestamp) };
  if (isBsuid(s.recipient)) item.recipient_user_id = s.recipient;
  else item.recipient_id = s.recipient;
  if (s.bizOpaqueCallbackData !== undefined) item.biz_opaque_callback_data = s.bizOpaqueCallbackData;
  if (s.pricing) {
    const p: JsonObject = { category: s.pricing.category };
    if (s.pricing.billable !== undefined) p.billable = s.pricing.billable;
    p.pricing_model = s.pricing.pricingModel ?? 'PMP';
    if (s.pricing.type !== undefined) p.type = s.pricing.type;
    item.pricing = p;
  }
  if (s.errors) {
    item.errors = s.errors.map((e) => ({
      code: e.code,
      title: e.title,
      message: e.title,
      error_data: { details: e.details ?? e.title },
      href: '/docs/whatsapp/cloud-api/support/error-codes/',
    }));
  }
  return item;
}

/** Several statuses in one change, as Meta aggregates them. */
export function statusWebhook(statuses: StatusSpec[], opts: { phoneNumberId?: string } = {}): WebhookPayload {
  return envelope({
    messaging_product: 'whatsapp',
    metadata: metadata(opts.phoneNumberId),
    statuses: statuses.map(statusItem),
  });
}

/**
 * Escapes non-ASCII as lowercase `\uXXXX`, as Meta does before signing: a receiver
 * that re-serialises the parsed JSON before checking the HMAC then fails, as it would in production.
 */
function escapeUnicode(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function signedRequest(
  payload: unknown,
  appSecret: string,
): { body: string; headers: { 'content-type': 'application/json'; 'x-hub-signature-256': string } } {
  const body = escapeUnicode(JSON.stringify(payload));
  return {
    body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, appSecret) },
  };
}
