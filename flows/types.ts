// The language between the conversation engine (src/conversations) and the flows. Flows are pure: they
// receive events carrying every fact they need (including the time) and emit effects as data, as XState
// actions with params; the engine performs the effects and, for queries, answers with another event.

export type Language = 'id' | 'en' | 'jv';

export type FlowId = 'menu' | 'bill' | 'pay' | 'consent' | 'agent' | 'language' | 'link' | 'fallback';

/** What the engine knows about the sender when an event happens. Times are ISO 8601 strings. */
export interface Facts {
  now: string;
  /** the sender's wa_id belongs to a participant */
  registered: boolean;
  /** the sender is known only by a business-scoped user id (no phone number) */
  bsuidOnly: boolean;
  language: Language;
  category: 'BPU' | 'PU' | null;
  optedOut: boolean;
  /** a birth-date confirmation for this number is valid (30 days) */
  verified: boolean;
  /** bill disclosure locked after three wrong birth dates, until this time */
  billLockedUntil: string | null;
  /** account linking locked after three failed tries, until this time */
  linkLockedUntil: string | null;
  /** an officer is on duty now (OFFICE_HOURS) */
  officeOpen: boolean;
  /** when officers are next on duty, when officeOpen is false */
  nextOfficeOpen: string | null;
}

/** Ids of interactive rows and buttons, and the quick-reply payloads of the reminder templates. */
export const CHOICE = {
  bill: 'BILL',
  pay: 'PAY',
  agent: 'AGENT',
  language: 'LANGUAGE',
  stop: 'STOP',
  start: 'START',
  menu: 'MENU',
  // The main menu's rows, and the bot's own in-conversation buttons to the same places. They differ from
  // the template payloads above so that a consent change records 'menu' rather than 'template_button'.
  menuBill: 'MENU:BILL',
  menuPay: 'MENU:PAY',
  menuAgent: 'MENU:AGENT',
  menuLanguage: 'MENU:LANGUAGE',
  menuStop: 'MENU:STOP',
  /** the link flow's "yes, link this WhatsApp to my KPJ" button */
  linkYes: 'LINK:YES',
} as const;

/**
 * Prefixes of choice ids that carry a value: `PAYCH:bri`, `LANG:jv`, and `AGENT:<reason>` for the
 * officer buttons the bot offers itself (the reason goes to the handoff).
 */
export const CHOICE_PREFIX = {
  payChannel: 'PAYCH:',
  language: 'LANG:',
  link: 'LINK:',
  agent: 'AGENT:',
} as const;

/** The value a prefixed choice id carries (`PAYCH:bri` → `bri`), when it is one of `values`; else null. */
export function choiceValue<T extends string>(id: string, prefix: string, values: readonly T[]): T | null {
  if (!id.startsWith(prefix)) return null;
  const value = id.slice(prefix.length);
  return (values as readonly string[]).includes(value) ? (value as T) : null;
}

/**
 * The payment channels confirmed for BPJS Ketenagakerjaan, in the order the list shows them; ids are
 * `PAYCH:<channel>`.
 */
export const PAY_CHANNELS = [
  'bri',
  'mandiri',
  'bni',
  'btn',
  'pos',
  'dana',
  'linkaja',
  'perisai',
  'office',
] as const;
export type PayChannel = (typeof PAY_CHANNELS)[number];

export const LANGUAGES: readonly Language[] = ['id', 'en', 'jv'];

export type FlowEvent =
  /**
   * (re)starts a flow; `via` says what opened it, e.g. a keyword or a template button (flows/via.ts);
   * `text` is the message that opened it, when the flow reads it (fallback's questions).
   */
  | { type: 'START'; facts: Facts; via?: string; text?: string }
  | { type: 'TEXT'; text: string; facts: Facts }
  /** an interactive list row or reply button id, or a template quick-reply payload */
  | { type: 'CHOICE'; id: string; title?: string; facts: Facts }
  /** image, audio, sticker, … anything without text the bot could read */
  | { type: 'MEDIA'; kind: string; facts: Facts }
  /** the engine's answer to a checkBirthDate effect */
  | {
      type: 'BIRTH_DATE_CHECKED';
      result: 'match' | 'mismatch' | 'invalid' | 'locked' | 'unknown-kpj';
      attemptsLeft: number;
      facts: Facts;
    }
  /**
   * the flow waited too long for an answer: the engine gives it this first when the next message was sent
   * an hour or more after the one the flow last answered (src/conversations/idle.ts)
   */
  | { type: 'TIMEOUT'; facts: Facts };

/** A message to the participant, rendered by the engine from locale keys in the participant's language. */
export type Say =
  | { type: 'say'; params: { key: string; vars?: Record<string, string | number> } }
  /** the main menu (interactive list) */
  | { type: 'sayMenu'; params: Record<string, never> }
  /** reply buttons; titles are locale keys */
  | {
      type: 'sayButtons';
      params: {
        bodyKey: string;
        vars?: Record<string, string | number>;
        buttons: { id: string; titleKey: string }[];
      };
    }
  /** the unpaid periods, amounts, total and earliest due date, or "nothing owed" (engine loads the bills) */
  | { type: 'sayBill'; params: Record<string, never> }
  /** the payment channels as an interactive list */
  | { type: 'sayPaymentChannels'; params: Record<string, never> }
  /** one channel's numbered steps with the participant's own payment code and amount */
  | { type: 'sayPaymentSteps'; params: { channel: string } }
  /** the language choice (three buttons) */
  | { type: 'sayLanguages'; params: Record<string, never> };

/** Changes the engine carries out; each is recorded (consent ledger, audit log) by the engine. */
export type Act =
  /** query: the engine checks the typed birth date and answers with BIRTH_DATE_CHECKED */
  | { type: 'checkBirthDate'; params: { text: string; kpj?: string } }
  | { type: 'setConsent'; params: { optedOut: boolean; source: 'keyword' | 'template_button' | 'menu' } }
  | { type: 'setLanguage'; params: { language: Language } }
  | { type: 'openHandoff'; params: { reason: string } }
  /**
   * asks an officer to let this WhatsApp sender speak for the participant with this KPJ (after a matching
   * birth date); the engine opens the inbox conversation and tells the participant's registered number
   */
  | { type: 'requestLink'; params: { kpj: string } };

export type Effect = Say | Act;
export type EffectType = Effect['type'];

export const EFFECT_TYPES: readonly EffectType[] = [
  'say',
  'sayMenu',
  'sayButtons',
  'sayBill',
  'sayPaymentChannels',
  'sayPaymentSteps',
  'sayLanguages',
  'checkBirthDate',
  'setConsent',
  'setLanguage',
  'openHandoff',
  'requestLink',
];

/** What a finished flow asks of the engine: start another flow, or rest (wait for the next message). */
export interface FlowOutput {
  next?: FlowId;
  /** the `via` to start `next` with; without it the engine passes `flow:<finished flow id>` */
  via?: string;
}

/** Every flow's input: the START event without its type (`initialTransition(machine, startEvent)` works). */
export interface FlowInput {
  facts: Facts;
  via?: string;
  text?: string;
}
