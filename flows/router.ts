import { languageOfText } from './language.js';
import { menuRowOfChoice, menuRowOfDigit } from './menu.js';
import { bare, words } from './text.js';
import { CHOICE, CHOICE_PREFIX, type Facts, type FlowEvent, type FlowId } from './types.js';
import { via } from './via.js';

// Decides, for one inbound message, which flow hears it: a keyword or a global button (re)starts its
// flow from anywhere; anything else goes to the flow waiting for an answer, or to the fallback.

export type InboundMessage =
  | { kind: 'text'; text: string }
  | { kind: 'choice'; id: string; title?: string }
  | { kind: 'media'; mediaType: string };

export interface RouteInput {
  message: InboundMessage;
  /** the flow whose snapshot is stored and not yet done, else null */
  active: FlowId | null;
  facts: Facts;
}

export interface Route {
  flow: FlowId;
  /** true: start `flow` afresh with the START event (discarding any active snapshot) */
  restart: boolean;
  event: FlowEvent;
}

// Only as the whole message, so that "saya mau stop telepon" opts nobody out. No Javanese words here
// yet: the branch should confirm which words people in Blitar would type before we act on them.
const STOP_WORDS = new Set(['stop', 'berhenti']);
const START_WORDS = new Set(['mulai', 'start']);
// Also inside a sentence, as whole words: "cs" is not in "bcs", "menu" is not in "menunggu".
const AGENT_WORDS = ['agen', 'petugas', 'cs'];
const LANGUAGE_WORDS = ['bahasa', 'language', 'basa'];
const MENU_WORDS = ['menu'];
// A language named on its own ("English", "Basa Jawa", "boso jowo") switches to it directly.
const LANGUAGE_NAMES = new Set([
  'english',
  'inggris',
  'bahasa inggris',
  'indonesia',
  'bahasa indonesia',
  'jawa',
  'basa jawa',
  'bahasa jawa',
  'boso jowo',
  'jowo',
]);

/** Template quick-reply payloads: they open their flow and record `template_button`. */
const TEMPLATE_PAYLOADS: Record<string, FlowId> = {
  [CHOICE.bill]: 'bill',
  [CHOICE.pay]: 'pay',
  [CHOICE.stop]: 'consent',
  [CHOICE.agent]: 'agent',
};

/** The bot's own buttons that open a flow from anywhere. */
const GLOBAL_BUTTONS: Record<string, FlowId> = {
  [CHOICE.menu]: 'menu',
  [CHOICE.language]: 'language',
  [CHOICE.start]: 'consent',
};

/** Choice ids that belong to one flow: they go to it when it is active, else restart it. */
function ownerOf(id: string): FlowId | null {
  if (id.startsWith(CHOICE_PREFIX.payChannel)) return 'pay';
  if (id.startsWith(CHOICE_PREFIX.language)) return 'language';
  if (id.startsWith(CHOICE_PREFIX.link)) return 'link';
  return null;
}

/** Flows that show the menu last and wait, so a typed digit means a menu row. */
const MENU_LAST: readonly (FlowId | null)[] = ['menu', 'fallback'];

const start = (flow: FlowId, facts: Facts, v: string, text?: string): Route => ({
  flow,
  restart: true,
  event: text === undefined ? { type: 'START', facts, via: v } : { type: 'START', facts, via: v, text },
});

function routeChoice(id: string, title: string | undefined, active: FlowId | null, facts: Facts): Route {
  const row = menuRowOfChoice(id);
  if (row) return start(row.flow, facts, via('menu', row.detail));
  const payloadFlow = TEMPLATE_PAYLOADS[id];
  if (payloadFlow) return start(payloadFlow, facts, via('template_button', id));
  const buttonFlow = GLOBAL_BUTTONS[id];
  if (buttonFlow) return start(buttonFlow, facts, via('button', id));
  if (id.startsWith(CHOICE_PREFIX.agent)) return start('agent', facts, via('button', id));
  const owner = ownerOf(id);
  const choice: FlowEvent =
    title === undefined ? { type: 'CHOICE', id, facts } : { type: 'CHOICE', id, title, facts };
  if (owner && owner === active) return { flow: owner, restart: false, event: choice };
  if (owner) return start(owner, facts, via('choice', id));
  if (active) return { flow: active, restart: false, event: choice };
  return start('fallback', facts, via('choice', id));
}

function routeText(text: string, active: FlowId | null, facts: Facts): Route {
  const whole = bare(text);
  if (STOP_WORDS.has(whole)) return start('consent', facts, via('keyword', CHOICE.stop));
  if (START_WORDS.has(whole)) return start('consent', facts, via('keyword', CHOICE.start));
  if (LANGUAGE_NAMES.has(whole)) {
    const language = languageOfText(whole);
    if (language) return start('language', facts, via('keyword', `${CHOICE_PREFIX.language}${language}`));
  }
  if (MENU_LAST.includes(active)) {
    const row = menuRowOfDigit(text);
    if (row) return start(row.flow, facts, via('menu', row.detail));
  }
  const w = words(text);
  if (AGENT_WORDS.some((k) => w.includes(k))) return start('agent', facts, via('keyword', CHOICE.agent));
  // the text goes along: "ganti bahasa ke jawa" names the language already
  if (LANGUAGE_WORDS.some((k) => w.includes(k))) {
    return start('language', facts, via('keyword', CHOICE.language), text);
  }
  if (MENU_WORDS.some((k) => w.includes(k))) return start('menu', facts, via('keyword', CHOICE.menu));
  // the menu flow reads only its rows; other text is for the fallback, which answers questions
  if (active && active !== 'menu')
    return { flow: active, restart: false, event: { type: 'TEXT', text, facts } };
  return start('fallback', facts, via('text'), text);
}

export function route(input: RouteInput): Route {
  const { message, active, facts } = input;
  switch (message.kind) {
    case 'choice':
      return routeChoice(message.id, message.title, active, facts);
    case 'text':
      return routeText(message.text, active, facts);
    case 'media':
      if (active && active !== 'menu') {
        return { flow: active, restart: false, event: { type: 'MEDIA', kind: message.mediaType, facts } };
      }
      return start('fallback', facts, via('media', message.mediaType));
  }
}
