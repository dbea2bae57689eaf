import type { OutboundBody } from '../whatsapp/index.js';
import type { ChatEntry, SimInput } from './simulator.js';

// What the participant's phone shows for each Cloud API body. Templates are approved in WhatsApp Business
// Manager and only their parameters travel in the body, so the simulator keeps a copy of each approved
// text and of its quick-reply labels here (the registry in templates/ records the parameters only).

interface TemplateText {
  body: string;
  buttons: string[];
}
const TEMPLATE_TEXTS: Record<string, Record<string, TemplateText>> = {
  iuran_reminder: {
    id: {
      body: 'Halo {{1}}, iuran BPJS Ketenagakerjaan Anda sebesar {{2}} untuk {{3}} jatuh tempo pada {{4}}.',
      buttons: ['Cek iuran', 'Cara bayar', 'Berhenti pengingat'],
    },
    en: {
      body: 'Hello {{1}}, your BPJS Ketenagakerjaan contribution of {{2}} for {{3}} is due on {{4}}.',
      buttons: ['My bill', 'How to pay', 'Stop reminders'],
    },
  },
  permintaan_tautan_akun: {
    id: {
      body: 'Halo {{1}}, nomor WhatsApp lain ({{2}}) meminta dihubungkan dengan akun BPJS Ketenagakerjaan Anda (KPJ {{3}}). Petugas kami akan memeriksanya. Jika itu bukan Anda, ketuk Hubungi petugas.',
      buttons: ['Hubungi petugas'],
    },
    en: {
      body: 'Hello {{1}}, another WhatsApp number ({{2}}) asked to be linked to your BPJS Ketenagakerjaan account (KPJ {{3}}). Our officers will check it. If it was not you, tap Talk to an officer.',
      buttons: ['Talk to an officer'],
    },
  },
  iuran_overdue: {
    id: {
      body: 'Halo {{1}}, tunggakan iuran Anda {{2}} untuk {{3}} bulan, sejak {{4}}.',
      buttons: ['Cek iuran', 'Cara bayar', 'Hubungi petugas'],
    },
    en: {
      body: 'Hello {{1}}, your contributions in arrears are {{2}} for {{3}} months, since {{4}}.',
      buttons: ['My bill', 'How to pay', 'Talk to an officer'],
    },
  },
};

/** A tappable thing: its kind says which inbound message a tap sends. */
export interface ViewButton {
  kind: 'button' | 'button_reply' | 'list_reply';
  /** the payload (template quick reply) or the reply id (interactive) */
  id: string;
  title: string;
  description?: string;
}

export interface ChatView {
  id: string;
  direction: 'in' | 'out';
  at: string;
  status: ChatEntry['status'];
  kind: 'text' | 'template' | 'buttons' | 'list' | 'reply';
  header?: string;
  text: string;
  footer?: string;
  buttons: ViewButton[];
  /** a list's button label; its rows are in `sections` */
  listButton?: string;
  sections?: { title?: string; rows: ViewButton[] }[];
}

function outbound(body: OutboundBody): Omit<ChatView, 'id' | 'direction' | 'at' | 'status'> {
  if (body.type === 'text') return { kind: 'text', text: body.text.body, buttons: [] };
  if (body.type === 'template') {
    const { name, language, components = [] } = body.template;
    const params = components.flatMap((c) => (c.type === 'body' ? c.parameters.map((p) => p.text) : []));
    const payloads = new Map(
      components.flatMap((c) =>
        c.type === 'button' ? [[Number(c.index), c.parameters[0]?.payload ?? ''] as const] : [],
      ),
    );
    const approved = TEMPLATE_TEXTS[name]?.[language.code];
    const text = approved
      ? approved.body.replace(/\{\{(\d+)\}\}/g, (_, n: string) => params[Number(n) - 1] ?? '')
      : `[${name}] ${params.join(' · ')}`;
    const buttons = [...payloads.entries()].map(([index, payload]) => ({
      kind: 'button' as const,
      id: payload,
      title: approved?.buttons[index] ?? payload,
    }));
    return { kind: 'template', text, buttons };
  }
  const i = body.interactive;
  const frame = {
    text: i.body.text,
    ...(i.header ? { header: i.header.text } : {}),
    ...(i.footer ? { footer: i.footer.text } : {}),
  };
  if (i.type === 'button') {
    return {
      kind: 'buttons',
      ...frame,
      buttons: i.action.buttons.map((b) => ({
        kind: 'button_reply' as const,
        id: b.reply.id,
        title: b.reply.title,
      })),
    };
  }
  return {
    kind: 'list',
    ...frame,
    buttons: [],
    listButton: i.action.button,
    sections: i.action.sections.map((s) => ({
      ...(s.title ? { title: s.title } : {}),
      rows: s.rows.map((r) => ({
        kind: 'list_reply' as const,
        id: r.id,
        title: r.title,
        ...(r.description ? { description: r.description } : {}),
      })),
    })),
  };
}

function inbound(input: SimInput): Omit<ChatView, 'id' | 'direction' | 'at' | 'status'> {
  if (input.kind === 'text') return { kind: 'text', text: input.text, buttons: [] };
  return { kind: 'reply', text: input.title, buttons: [] };
}

export function viewOf(entry: ChatEntry): ChatView {
  const { id, direction, at, status } = entry;
  const content =
    direction === 'out' ? outbound(entry.body as OutboundBody) : inbound(entry.body as SimInput);
  return { id, direction, at, status, ...content };
}
