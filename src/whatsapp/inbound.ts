import { z } from 'zod';
import { isBsuid } from './bsuid.js';

export interface WebhookError {
  code: number;
  title: string;
  details?: string;
}

export type ReplyKind = 'button' | 'button_reply' | 'list_reply';

export interface InboundMessage {
  wamid: string;
  phoneNumberId: string;
  /** The sender key: wa_id when known, else the BSUID (a username user may show no phone number). */
  contact: string;
  waId?: string;
  userId?: string;
  profileName?: string;
  timestamp: Date;
  /** As Meta sent it; unknown types are kept, not dropped. */
  type: string;
  /** `text.body`, or the caption of an image, video or document. */
  text?: string;
  /** A tapped button or list row. For a template quick-reply, id = `button.payload`, title = `button.text`. */
  reply?: { kind: ReplyKind; id: string; title: string };
  contextWamid?: string;
  errors: WebhookError[];
  raw: Record<string, unknown>;
}

export const STATUS_VALUES = ['sent', 'delivered', 'read', 'failed', 'played'] as const;
export type DeliveryStatus = (typeof STATUS_VALUES)[number];

export interface StatusUpdate {
  wamid: string;
  phoneNumberId: string;
  status: DeliveryStatus;
  timestamp: Date;
  /** recipient_id, or recipient_user_id for a BSUID-only recipient. */
  recipient: string;
  bizOpaqueCallbackData?: string;
  errors: WebhookError[];
  pricing?: { category: string; type?: string; billable?: boolean; pricingModel?: string };
}

export interface ParsedWebhook {
  messages: InboundMessage[];
  statuses: StatusUpdate[];
  /** Errors not tied to any message (`value.errors`, e.g. 130429 throughput reached). */
  errors: WebhookError[];
  /** Changes with a field other than `messages` (template status, user preferences, groups, ...). */
  other: { field: string; value: unknown }[];
  /** One reason per item that could not be read; the rest of the payload is still parsed. */
  skipped: string[];
}

export type ParseResult = { ok: true; webhook: ParsedWebhook } | { ok: false; error: string };

// Lenient by design: one odd item must not cost us the rest of a delivery Meta will not resend.
const optionalString = z.string().optional().catch(undefined);
const records = z.array(z.unknown()).optional().catch(undefined);

/** Unix seconds, as a string (always, per OAS) or a number (tolerated). */
export const unixSecondsSchema = z
  .union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()])
  .transform((s) => new Date(Number(s) * 1000));

/** The outer shape only; everything inside is read item by item by `parseWebhook`. */
const envelopeSchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.unknown()),
});

export const entrySchema = z.object({ id: optionalString, changes: z.array(z.unknown()) });

export const changeSchema = z.object({ field: z.string(), value: z.unknown() });

export const messagesValueSchema = z.object({
  metadata: z.object({ phone_number_id: z.string().min(1), display_phone_number: optionalString }),
  contacts: records,
  messages: records,
  statuses: records,
  errors: records,
});

export const errorSchema = z
  .object({
    code: z.number().int(),
    title: optionalString,
    message: optionalString,
    error_data: z.object({ details: optionalString }).optional().catch(undefined),
  })
  .transform(
    (e): WebhookError => ({
      code: e.code,
      title: e.title ?? e.message ?? '',
      ...(e.error_data?.details !== undefined ? { details: e.error_data.details } : {}),
    }),
  );

export const contactSchema = z.object({
  wa_id: optionalString,
  user_id: optionalString,
  profile: z.object({ name: optionalString }).optional().catch(undefined),
});

const captioned = z.object({ caption: optionalString }).optional().catch(undefined);
const idTitle = z.object({ id: z.string(), title: z.string() }).optional().catch(undefined);

export const messageSchema = z.object({
  id: z.string().min(1),
  from: optionalString,
  from_user_id: optionalString,
  timestamp: unixSecondsSchema,
  type: z.string().min(1),
  text: z.object({ body: z.string() }).optional().catch(undefined),
  image: captioned,
  video: captioned,
  document: captioned,
  button: z.object({ payload: z.string(), text: z.string() }).optional().catch(undefined),
  interactive: z
    .object({ type: z.string(), button_reply: idTitle, list_reply: idTitle })
    .optional()
    .catch(undefined),
  context: z.object({ id: optionalString }).optional().catch(undefined),
  errors: records,
});

export const statusSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  timestamp: unixSecondsSchema,
  recipient_id: optionalString,
  recipient_user_id: optionalString,
  biz_opaque_callback_data: optionalString,
  errors: records,
  pricing: z
    .object({
      category: z.string(),
      type: optionalString,
      billable: z.boolean().optional().catch(undefined),
      pricing_model: optionalString,
    })
    .optional()
    .catch(undefined),
});

type Contact = z.infer<typeof contactSchema>;
type MessageItem = z.infer<typeof messageSchema>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function issue(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid';
  const path = first.path.map(String).join('.');
  return path ? `${path}: ${first.message}` : first.message;
}

function readErrors(items: unknown[] | undefined, where: string, skipped: string[]): WebhookError[] {
  const out: WebhookError[] = [];
  (items ?? []).forEach((item, i) => {
    const r = errorSchema.safeParse(item);
    if (r.success) out.push(r.data);
    else skipped.push(`${where}.errors[${i}]: ${issue(r.error)}`);
  });
  return out;
}

function replyOf(m: MessageItem): InboundMessage['reply'] {
  if (m.type === 'button' && m.button) return { kind: 'button', id: m.button.payload, title: m.button.text };
  if (m.type !== 'interactive' || !m.interactive) return undefined;
  const { type, button_reply, list_reply } = m.interactive;
  if (type === 'button_reply' && button_reply) return { kind: 'button_reply', ...button_reply };
  if (type === 'list_reply' && list_reply)
    return { kind: 'list_reply', id: list_reply.id, title: list_reply.title };
  return undefined;
}

function senderOf(
  m: MessageItem,
  contacts: Contact[],
): { waId?: string; userId?: string; profileName?: string } | null {
  // A BSUID in `from` would otherwise be taken for a phone number downstream.
  const fromIsBsuid = m.from !== undefined && isBsuid(m.from);
  const fromWaId = fromIsBsuid ? undefined : m.from;
  const fromUserId = m.from_user_id ?? (fromIsBsuid ? m.from : undefined);
  const exact = contacts.find(
    (c) =>
      (fromWaId !== undefined && c.wa_id === fromWaId) ||
      (fromUserId !== undefined && c.user_id === fromUserId),
  );
  // A lone contact is the sender unless its ids contradict the message's: never mix two people's ids.
  const lone = contacts.length === 1 ? contacts[0] : undefined;
  const loneFits =
    lone !== undefined &&
    (fromWaId === undefined || lone.wa_id === undefined || lone.wa_id === fromWaId) &&
    (fromUserId === undefined || lone.user_id === undefined || lone.user_id === fromUserId);
  const matched = exact ?? (loneFits ? lone : undefined);
  const waId = fromWaId ?? matched?.wa_id;
  const userId = fromUserId ?? matched?.user_id;
  if (!waId && !userId) return null;
  const profileName = matched?.profile?.name;
  return {
    ...(waId ? { waId } : {}),
    ...(userId ? { userId } : {}),
    ...(profileName ? { profileName } : {}),
  };
}

function readMessage(
  item: unknown,
  phoneNumberId: string,
  contacts: Contact[],
  where: string,
  skipped: string[],
): InboundMessage | null {
  if (!isRecord(item)) {
    skipped.push(`${where}: not an object`);
    return null;
  }
  const r = messageSchema.safeParse(item);
  if (!r.success) {
    skipped.push(`${where}: ${issue(r.error)}`);
    return null;
  }
  const m = r.data;
  const sender = senderOf(m, contacts);
  if (!sender) {
    skipped.push(`${where}: no sender (neither from, from_user_id nor a matching contact)`);
    return null;
  }
  const text = m.text?.body ?? m.image?.caption ?? m.video?.caption ?? m.document?.caption;
  const reply = replyOf(m);
  return {
    wamid: m.id,
    phoneNumberId,
    contact: (sender.waId ?? sender.userId) as string,
    ...sender,
    timestamp: m.timestamp,
    type: m.type,
    ...(text !== undefined ? { text } : {}),
    ...(reply ? { reply } : {}),
    ...(m.context?.id ? { contextWamid: m.context.id } : {}),
    errors: readErrors(m.errors, where, skipped),
    raw: item,
  };
}

function readStatus(
  item: unknown,
  phoneNumberId: string,
  where: string,
  skipped: string[],
): StatusUpdate | null {
  const r = statusSchema.safeParse(item);
  if (!r.success) {
    skipped.push(`${where}: ${issue(r.error)}`);
    return null;
  }
  const s = r.data;
  if (!(STATUS_VALUES as readonly string[]).includes(s.status)) {
    skipped.push(`${where}: unknown status "${s.status}"`);
    return null;
  }
  const recipient = s.recipient_id ?? s.recipient_user_id;
  if (!recipient) {
    skipped.push(`${where}: no recipient_id or recipient_user_id`);
    return null;
  }
  const p = s.pricing;
  return {
    wamid: s.id,
    phoneNumberId,
    status: s.status as DeliveryStatus,
    timestamp: s.timestamp,
    recipient,
    ...(s.biz_opaque_callback_data !== undefined
      ? { bizOpaqueCallbackData: s.biz_opaque_callback_data }
      : {}),
    errors: readErrors(s.errors, where, skipped),
    ...(p
      ? {
          pricing: {
            category: p.category,
            ...(p.type !== undefined ? { type: p.type } : {}),
            ...(p.billable !== undefined ? { billable: p.billable } : {}),
            ...(p.pricing_model !== undefined ? { pricingModel: p.pricing_model } : {}),
          },
        }
      : {}),
  };
}

function readMessagesValue(value: unknown, where: string, out: ParsedWebhook): void {
  const r = messagesValueSchema.safeParse(value);
  if (!r.success) {
    out.skipped.push(`${where}.value: ${issue(r.error)}`);
    return;
  }
  const v = r.data;
  const phoneNumberId = v.metadata.phone_number_id;
  const contacts: Contact[] = [];
  for (const c of v.contacts ?? []) {
    const parsed = contactSchema.safeParse(c);
    if (parsed.success) contacts.push(parsed.data);
  }
  (v.messages ?? []).forEach((item, i) => {
    const w = `${where}.messages[${i}]`;
    guarded(w, out.skipped, () => {
      const m = readMessage(item, phoneNumberId, contacts, w, out.skipped);
      if (m) out.messages.push(m);
    });
  });
  (v.statuses ?? []).forEach((item, i) => {
    const w = `${where}.statuses[${i}]`;
    guarded(w, out.skipped, () => {
      const s = readStatus(item, phoneNumberId, w, out.skipped);
      if (s) out.statuses.push(s);
    });
  });
  out.errors.push(...readErrors(v.errors, `${where}.value`, out.skipped));
}

// JSON.parse output cannot throw while being read, but callers may hand us anything (getters, proxies).
function guarded(where: string, skipped: string[], fn: () => void): void {
  try {
    fn();
  } catch (err) {
    skipped.push(`${where}: ${err instanceof Error ? err.message : 'unreadable'}`);
  }
}

/**
 * Reads a WhatsApp Business Account webhook. Fails only when the payload is not one at all; inside a
 * valid envelope every readable item is returned and every unreadable one is named in `skipped`.
 * Never throws.
 */
export function parseWebhook(json: unknown): ParseResult {
  let entries: unknown[];
  try {
    const env = envelopeSchema.safeParse(json);
    if (!env.success)
      return { ok: false, error: `not a WhatsApp Business Account webhook: ${issue(env.error)}` };
    entries = env.data.entry;
  } catch {
    return { ok: false, error: 'not a WhatsApp Business Account webhook: unreadable' };
  }
  const out: ParsedWebhook = { messages: [], statuses: [], errors: [], other: [], skipped: [] };
  entries.forEach((entryItem, e) => {
    const where = `entry[${e}]`;
    guarded(where, out.skipped, () => {
      const entry = entrySchema.safeParse(entryItem);
      if (!entry.success) {
        out.skipped.push(`${where}: ${issue(entry.error)}`);
        return;
      }
      entry.data.changes.forEach((changeItem, c) => {
        const cw = `${where}.changes[${c}]`;
        guarded(cw, out.skipped, () => {
          const change = changeSchema.safeParse(changeItem);
          if (!change.success) {
            out.skipped.push(`${cw}: ${issue(change.error)}`);
            return;
          }
          if (change.data.field === 'messages') readMessagesValue(change.data.value, cw, out);
          else out.other.push({ field: change.data.field, value: change.data.value });
        });
      });
    });
  });
  return { ok: true, webhook: out };
}
