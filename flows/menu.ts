import { assign, setup } from 'xstate';
import { effectActions, flowOutput, sayMenu } from './effects.js';
import { words } from './text.js';
import { CHOICE, type FlowEvent, type FlowId, type FlowInput, type FlowOutput } from './types.js';
import { via } from './via.js';

// The main menu. It stays open after it is shown, so that the router knows the menu was the last thing
// the participant saw and can read a typed "1" to "5" as a row. The router opens the chosen flow itself;
// the transitions below serve an engine that forwards a choice to the open menu instead.

/** The rows in order: a typed digit n is row n. */
export const MENU_ROWS: readonly { id: string; flow: FlowId; detail: string; key: string }[] = [
  { id: CHOICE.menuBill, flow: 'bill', detail: CHOICE.bill, key: 'menu.bill' },
  { id: CHOICE.menuPay, flow: 'pay', detail: CHOICE.pay, key: 'menu.pay' },
  { id: CHOICE.menuAgent, flow: 'agent', detail: CHOICE.agent, key: 'menu.agent' },
  { id: CHOICE.menuLanguage, flow: 'language', detail: CHOICE.language, key: 'menu.language' },
  { id: CHOICE.menuStop, flow: 'consent', detail: CHOICE.stop, key: 'menu.stop' },
];

export function menuRowOfChoice(id: string) {
  return MENU_ROWS.find((row) => row.id === id) ?? null;
}

/** The row a typed "1" … "5" stands for ("2", " 2. "), else null. */
export function menuRowOfDigit(text: string) {
  const w = words(text);
  return w.length === 1 && /^[1-9]$/.test(w[0] ?? '') ? (MENU_ROWS[Number(w[0]) - 1] ?? null) : null;
}

const toRow = (row: (typeof MENU_ROWS)[number] | null): FlowOutput =>
  row ? { next: row.flow, via: via('menu', row.detail) } : { next: 'fallback' };

export const menuMachine = setup({
  types: {
    context: {} as { chosen: FlowOutput },
    events: {} as FlowEvent,
    input: {} as FlowInput,
    output: {} as FlowOutput,
  },
  actions: effectActions,
}).createMachine({
  id: 'menu',
  context: { chosen: {} },
  output: flowOutput,
  initial: 'shown',
  on: {
    START: { target: '.shown', reenter: true },
    TIMEOUT: '.timedOut',
  },
  states: {
    shown: {
      entry: sayMenu,
      on: {
        CHOICE: {
          target: 'chosen',
          actions: assign({ chosen: ({ event }) => toRow(menuRowOfChoice(event.id)) }),
        },
        TEXT: {
          target: 'chosen',
          actions: assign({ chosen: ({ event }) => toRow(menuRowOfDigit(event.text)) }),
        },
        MEDIA: { target: 'chosen', actions: assign({ chosen: toRow(null) }) },
      },
    },
    chosen: { type: 'final', output: ({ context }) => context.chosen },
    timedOut: { type: 'final' },
  },
});
