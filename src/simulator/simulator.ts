import { randomBytes } from 'node:crypto';
import { templateCategoryOf } from '../../templates/index.js';
import { type CloudApiClient, maskPhone, type OutboundBody, signBody } from '../whatsapp/index.js';

// The built-in WhatsApp for embedded mode. It stands where the Cloud API stands: it takes the Cloud API
// bodies the sender posts, keeps them per recipient, and answers as Meta would, with signed webhooks
// (statuses, and the participant's own messages) posted to /webhooks/whatsapp. So a demo goes through the
// webhook's signature check, parsing, recording and the conversation engine exactly as production does.

export type Tick = 'pending' | 'sent' | 'delivered' | 'read';

/** What the simulated participant sends: typed text, a template's quick reply, or an interactive reply. */
export type SimInput =
  | { kind: 'text'; text: string }
  | { kind: 'button'; payload: string; title: string; contextId?: string }
  | { kind: 'button_reply' | 'list_reply'; id: string; title: string; contextId?: string };

export interface ChatEntry {
  /** the wamid */
  id: string;
  direction: 'in' | 'out';
  at: string;
  status: Tick;
  /** out: the Cloud API body as the service sent it; in: what the participant sent */
  body: OutboundBody | SimInput;
}

export type Deliver = (raw: string, signature: string) => Promise<number>;

export interface Simulator {
  client: CloudApiClient;
  /** where the signed webhooks go; set once the HTTP app exists */
  attach(deliver: Deliver): void;
  chat(waId: string): ChatEntry[];
  /** recipients with a chat, newest activity first */
  active(): string[];
  /** the participant opens the chat: every delivered message to them is read (a signed `read` status) */
  see(waId: string): Promise<void>;
  /** the participant writes or taps: a signed inbound webhook; resolves once the service answered it 200 */
  write(waId: string, name: string, input: SimInput): Promise<ChatEntry>;
  /** resolves when every status webhook scheduled so far has been delivered */
  idle(): Promise<void>;
  close(): void;
}

export interface SimulatorOptions {
  appSecret: string;
  phoneNumberId?: string;
  /** milliseconds between accepting a send and its `sent`, and between `sent` and `delivered` */
  stepMs?: number;
  log?: (line: string) => void;
}

const DISPLAY_NUMBER = '6281100000000';
const simulatedWamid = (): string => `wamid.SIM${randomBytes(12).toString('hex').toUpperCase()}`;
const seconds = () => String(Math.floor(Date.now() / 1000));
const RANK: Record<Tick, number> = { pending: 0, sent: 1, delivered: 2, read: 3 };

export function createSimulator(opts: SimulatorOptions): Simulator {
  const log = opts.log ?? (() => {});
  const stepMs = opts.stepMs ?? 400;
  const metadata = {
    display_phone_number: DISPLAY_NUMBER,
    phone_number_id: opts.phoneNumberId ?? 'simulator',
  };
  const chats = new Map<string, ChatEntry[]>();
  const lastActivity = new Map<string, number>();
  const inFlight = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  let deliver: Deliver | null = null;
  let closed = false;

  const entriesOf = (waId: string) => {
    let list = chats.get(waId);
    if (!list) {
      list = [];
      chats.set(waId, list);
    }
    lastActivity.set(waId, Date.now());
    return list;
  };
  const find = (wamid: string): ChatEntry | undefined => {
    for (const list of chats.values()) {
      const hit = list.find((e) => e.id === wamid);
      if (hit) return hit;
    }
    return undefined;
  };

  /** Posts one signed payload; a 429 or 5xx is tried again later, as Meta retries. */
  const post = async (payload: unknown): Promise<number> => {
    const raw = JSON.stringify(payload);
    for (let attempt = 0; ; attempt++) {
      if (closed || !deliver) return 0;
      const status = await deliver(raw, signBody(raw, opts.appSecret)).catch(() => 0);
      if (status === 200 || attempt >= 5 || (status >= 400 && status < 500 && status !== 429)) return status;
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    }
  };
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    return work;
  };
  const envelope = (value: Record<string, unknown>) => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'simulator',
        changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata, ...value } }],
      },
    ],
  });

  const pricingOf = (body: OutboundBody) => {
    // templates bill at their registry category; replies inside the window are free customer service
    if (body.type === 'template') {
      const category = templateCategoryOf(body.template.name) ?? 'utility';
      return { billable: true, pricing_model: 'PMP', category, type: 'regular' };
    }
    return { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' };
  };

  const status = (entry: ChatEntry, waId: string, tick: Exclude<Tick, 'pending'>) => {
    if (RANK[entry.status] >= RANK[tick]) return Promise.resolve();
    entry.status = tick;
    const item: Record<string, unknown> = {
      id: entry.id,
      status: tick,
      timestamp: seconds(),
      recipient_id: waId,
    };
    if (entry.direction === 'out' && tick !== 'read') item.pricing = pricingOf(entry.body as OutboundBody);
    const callback = (entry.body as { biz_opaque_callback_data?: string }).biz_opaque_callback_data;
    if (callback !== undefined) item.biz_opaque_callback_data = callback;
    return track(post(envelope({ statuses: [item] })));
  };

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) fn();
    }, ms);
    timers.add(timer);
  };

  const client: CloudApiClient = {
    async send(body: OutboundBody) {
      const wamid = simulatedWamid();
      const to = (body.to ?? body.recipient ?? '').replace(/^\+/, '');
      entriesOf(to).push({
        id: wamid,
        direction: 'out',
        at: new Date().toISOString(),
        status: 'pending',
        body,
      });
      log(`[whatsapp-sim] send ${body.type} to ${maskPhone(to)}: ${wamid}`);
      const entry = find(wamid)!;
      // sent, then delivered, as Meta reports them; read waits for the participant to open the chat
      later(stepMs, () => {
        void status(entry, to, 'sent').then(() => later(stepMs, () => void status(entry, to, 'delivered')));
      });
      return body.to !== undefined ? { ok: true, wamid, waId: to } : { ok: true, wamid, userId: to };
    },
  };

  return {
    client,
    attach(d) {
      deliver = d;
    },
    chat: (waId) => chats.get(waId) ?? [],
    active: () => [...lastActivity.entries()].sort((a, b) => b[1] - a[1]).map(([waId]) => waId),
    async see(waId) {
      const unread = (chats.get(waId) ?? []).filter((e) => e.direction === 'out' && e.status === 'delivered');
      await Promise.all(unread.map((e) => status(e, waId, 'read')));
    },
    async write(waId, name, input) {
      const wamid = simulatedWamid();
      const entry: ChatEntry = {
        id: wamid,
        direction: 'in',
        at: new Date().toISOString(),
        status: 'sent',
        body: input,
      };
      entriesOf(waId).push(entry);
      // replying means the participant has read what came before
      await this.see(waId);
      const context =
        'contextId' in input && input.contextId
          ? { context: { from: DISPLAY_NUMBER, id: input.contextId } }
          : {};
      const content =
        input.kind === 'text'
          ? { type: 'text', text: { body: input.text } }
          : input.kind === 'button'
            ? { type: 'button', ...context, button: { payload: input.payload, text: input.title } }
            : {
                type: 'interactive',
                ...context,
                interactive:
                  input.kind === 'button_reply'
                    ? { type: 'button_reply', button_reply: { id: input.id, title: input.title } }
                    : { type: 'list_reply', list_reply: { id: input.id, title: input.title } },
              };
      const code = await track(
        post(
          envelope({
            contacts: [{ profile: { name }, wa_id: waId }],
            messages: [{ from: waId, id: wamid, timestamp: seconds(), ...content }],
          }),
        ),
      );
      entry.status = code === 200 ? 'delivered' : 'pending';
      return entry;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
