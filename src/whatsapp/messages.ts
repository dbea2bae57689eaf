import { isBsuid } from './bsuid.js';

/**
 * Cloud API field limits, in characters (code points, as JSON Schema's maxLength counts them).
 * Sources: Meta's Send API pages (text, reply buttons, lists) and the OAS `InteractiveObject`/`ActionObject`/
 * `SectionObject` (test/fixtures/whatsapp-openapi).
 */
export const LIMITS = {
  textBody: 4096,
  interactiveBody: 1024,
  header: 60,
  footer: 60,
  buttons: 3,
  buttonTitle: 20,
  buttonId: 256,
  listButton: 20,
  listSections: 10,
  listRows: 10,
  sectionTitle: 24,
  rowId: 200,
  rowTitle: 24,
  rowDescription: 72,
  templateButtons: 10,
  callbackData: 512,
} as const;

export class MessageLimitError extends Error {
  override readonly name = 'MessageLimitError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A phone wa_id goes as `to`; a BSUID goes as `recipient` (the Cloud API takes one or the other). */
export type Addressee = { to: string; recipient?: never } | { recipient: string; to?: never };

interface Common {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  biz_opaque_callback_data?: string;
}

export type TextBody = Common &
  Addressee & {
    type: 'text';
    text: { body: string; preview_url: boolean };
    context?: { message_id: string };
  };

export interface TextHeader {
  type: 'text';
  text: string;
}

export interface ButtonInteractive {
  type: 'button';
  header?: TextHeader;
  body: { text: string };
  footer?: { text: string };
  action: { buttons: { type: 'reply'; reply: { id: string; title: string } }[] };
}

export interface ListInteractive {
  type: 'list';
  header?: TextHeader;
  body: { text: string };
  footer?: { text: string };
  action: {
    button: string;
    sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
  };
}

export type InteractiveBody = Common &
  Addressee & { type: 'interactive'; interactive: ButtonInteractive | ListInteractive };

export type TemplateComponent =
  | { type: 'body'; parameters: { type: 'text'; text: string }[] }
  | {
      type: 'button';
      sub_type: 'quick_reply';
      index: string;
      parameters: { type: 'payload'; payload: string }[];
    };

export type TemplateBody = Common &
  Addressee & {
    type: 'template';
    template: { name: string; language: { code: string }; components?: TemplateComponent[] };
  };

/** Every body the client sends to `/messages`. */
export type OutboundBody = TextBody | InteractiveBody | TemplateBody;

export interface ButtonSpec {
  body: string;
  header?: string;
  footer?: string;
  buttons: { id: string; title: string }[];
}

export interface ListSpec {
  body: string;
  button: string;
  header?: string;
  footer?: string;
  sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
}

export interface TemplateSpec {
  name: string;
  /** Must equal the approved template's language exactly (`id` for Indonesian), or Meta answers 132001. */
  language: string;
  bodyParameters: string[];
  /** One payload per quick-reply button, in button order; it comes back as `button.payload`. */
  quickReplyPayloads?: string[];
}

const length = (s: string): number => Array.from(s).length;

function requireText(field: string, value: string, max?: number): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new MessageLimitError(field, 'must not be empty');
  const n = length(value);
  if (max !== undefined && n > max) throw new MessageLimitError(field, `${n} characters, at most ${max}`);
  return value;
}

function requireUnique(field: string, values: string[]): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new MessageLimitError(field, `"${v}" appears twice; they must be unique`);
    seen.add(v);
  }
}

function address(recipient: string): Addressee {
  if (typeof recipient !== 'string' || recipient.trim() === '') {
    throw new MessageLimitError('recipient', 'must not be empty');
  }
  return isBsuid(recipient) ? { recipient } : { to: recipient };
}

const common = { messaging_product: 'whatsapp', recipient_type: 'individual' } as const;

export function textMessage(
  recipient: string,
  text: string,
  opts: { replyTo?: string; previewUrl?: boolean } = {},
): TextBody {
  return {
    ...common,
    ...address(recipient),
    type: 'text',
    text: { body: requireText('text', text, LIMITS.textBody), preview_url: opts.previewUrl ?? false },
    ...(opts.replyTo ? { context: { message_id: opts.replyTo } } : {}),
  };
}

function frame(spec: { body: string; header?: string; footer?: string }) {
  return {
    ...(spec.header !== undefined
      ? { header: { type: 'text', text: requireText('header', spec.header, LIMITS.header) } as const }
      : {}),
    body: { text: requireText('body', spec.body, LIMITS.interactiveBody) },
    ...(spec.footer !== undefined
      ? { footer: { text: requireText('footer', spec.footer, LIMITS.footer) } }
      : {}),
  };
}

export function buttonMessage(recipient: string, spec: ButtonSpec): InteractiveBody {
  const { buttons } = spec;
  if (!Array.isArray(buttons) || buttons.length === 0) {
    throw new MessageLimitError('buttons', 'at least one button');
  }
  if (buttons.length > LIMITS.buttons) {
    throw new MessageLimitError('buttons', `${buttons.length} buttons, at most ${LIMITS.buttons}`);
  }
  const replies = buttons.map((b, i) => ({
    type: 'reply' as const,
    reply: {
      id: requireText(`buttons[${i}].id`, b.id, LIMITS.buttonId),
      title: requireText(`buttons[${i}].title`, b.title, LIMITS.buttonTitle),
    },
  }));
  requireUnique(
    'buttons.title',
    buttons.map((b) => b.title),
  );
  requireUnique(
    'buttons.id',
    buttons.map((b) => b.id),
  );
  return {
    ...common,
    ...address(recipient),
    type: 'interactive',
    interactive: { type: 'button', ...frame(spec), action: { buttons: replies } },
  };
}

export function listMessage(recipient: string, spec: ListSpec): InteractiveBody {
  const { sections } = spec;
  if (!Array.isArray(sections) || sections.length === 0) {
    throw new MessageLimitError('sections', 'at least one section');
  }
  if (sections.length > LIMITS.listSections) {
    throw new MessageLimitError('sections', `${sections.length} sections, at most ${LIMITS.listSections}`);
  }
  // The 10-row limit is for all sections combined, not per section.
  const rowCount = sections.reduce((n, s) => n + (Array.isArray(s.rows) ? s.rows.length : 0), 0);
  if (rowCount > LIMITS.listRows) {
    throw new MessageLimitError('rows', `${rowCount} rows in total, at most ${LIMITS.listRows}`);
  }
  const built = sections.map((s, i) => {
    if (!Array.isArray(s.rows) || s.rows.length === 0) {
      throw new MessageLimitError(`sections[${i}].rows`, 'at least one row');
    }
    if (sections.length > 1 && s.title === undefined) {
      throw new MessageLimitError(`sections[${i}].title`, 'required when there is more than one section');
    }
    return {
      ...(s.title !== undefined
        ? { title: requireText(`sections[${i}].title`, s.title, LIMITS.sectionTitle) }
        : {}),
      rows: s.rows.map((r, j) => ({
        id: requireText(`sections[${i}].rows[${j}].id`, r.id, LIMITS.rowId),
        title: requireText(`sections[${i}].rows[${j}].title`, r.title, LIMITS.rowTitle),
        ...(r.description !== undefined
          ? {
              description: requireText(
                `sections[${i}].rows[${j}].description`,
                r.description,
                LIMITS.rowDescription,
              ),
            }
          : {}),
      })),
    };
  });
  requireUnique(
    'rows.id',
    built.flatMap((s) => s.rows.map((r) => r.id)),
  );
  return {
    ...common,
    ...address(recipient),
    type: 'interactive',
    interactive: {
      type: 'list',
      ...frame(spec),
      action: { button: requireText('button', spec.button, LIMITS.listButton), sections: built },
    },
  };
}

// Meta rejects template parameters containing a newline, a tab or more than 4 consecutive spaces
// (error 132018 / #100 "Param text cannot have new-line/tab characters or more than 4 consecutive spaces").
const BAD_PARAMETER = /[\n\r\t]| {5,}/;

export function templateMessage(recipient: string, spec: TemplateSpec): TemplateBody {
  const name = requireText('name', spec.name);
  const language = requireText('language', spec.language);
  const params = spec.bodyParameters.map((p, i) => {
    const field = `bodyParameters[${i}]`;
    requireText(field, p);
    if (BAD_PARAMETER.test(p)) {
      throw new MessageLimitError(field, 'no newline, tab or more than 4 consecutive spaces in a parameter');
    }
    return { type: 'text' as const, text: p };
  });
  const payloads = spec.quickReplyPayloads ?? [];
  if (payloads.length > LIMITS.templateButtons) {
    throw new MessageLimitError(
      'quickReplyPayloads',
      `${payloads.length} buttons, at most ${LIMITS.templateButtons}`,
    );
  }
  const components: TemplateComponent[] = [
    // A template without variables takes no body component: an empty parameter list would not match it.
    ...(params.length > 0 ? [{ type: 'body' as const, parameters: params }] : []),
    ...payloads.map((payload, i) => ({
      type: 'button' as const,
      sub_type: 'quick_reply' as const,
      index: String(i),
      parameters: [{ type: 'payload' as const, payload: requireText(`quickReplyPayloads[${i}]`, payload) }],
    })),
  ];
  return {
    ...common,
    ...address(recipient),
    type: 'template',
    template: { name, language: { code: language }, ...(components.length > 0 ? { components } : {}) },
  };
}

/**
 * Tags a send so its status webhooks carry `data` back as `biz_opaque_callback_data`.
 *
 * OAS v23 check: the send-request schema (`Message` and its `BaseMessageProperties`) declares no
 * `biz_opaque_callback_data` at all; the only declaration is on the Calling API body. Only
 * `TemplateMessage` tolerates it, because it is the one message schema without
 * `additionalProperties: false`. Meta's Messages reference (quoted by whatsapp-api-js's
 * `ClientMessageRequest` type and by BSP docs) makes it a top-level field of every message type, at most
 * 512 characters, echoed in sent/delivered/read statuses. We follow Meta's reference.
 */
export function withCallbackData<T extends OutboundBody>(body: T, data: string): T {
  return {
    ...body,
    biz_opaque_callback_data: requireText('biz_opaque_callback_data', data, LIMITS.callbackData),
  };
}
