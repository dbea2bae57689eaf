import { assign, setup } from 'xstate';
import { BUTTON, effectActions, flowOutput, say, sayButtons } from './effects.js';
import { CHOICE, type Facts, type FlowEvent, type FlowInput, type FlowOutput } from './types.js';
import { parseVia } from './via.js';

// Opting out of (and back into) reminders. A STOP is honoured at once and confirmed once; the ledger
// records its source, so the source comes from what opened the flow, never from a guess.

interface Context {
  facts: Facts;
  via: string;
}

type Source = 'keyword' | 'template_button' | 'menu';

function sourceOf(via: string): Source {
  const { source } = parseVia(via);
  return source === 'keyword' || source === 'template_button' ? source : 'menu';
}

const wants = (context: Context, id: string): boolean => parseVia(context.via).detail === id;

export const consentMachine = setup({
  types: {
    context: {} as Context,
    events: {} as FlowEvent,
    input: {} as FlowInput,
    output: {} as FlowOutput,
  },
  actions: effectActions,
}).createMachine({
  id: 'consent',
  context: ({ input }) => ({ facts: input.facts, via: input.via ?? '' }),
  output: flowOutput,
  initial: 'start',
  on: {
    START: {
      target: '.start',
      reenter: true,
      actions: assign({ facts: ({ event }) => event.facts, via: ({ event }) => event.via ?? '' }),
    },
  },
  states: {
    start: {
      always: [
        // nobody sends reminders to this number, so there is nothing to record
        {
          guard: ({ context }) => context.facts.bsuidOnly || !context.facts.registered,
          target: 'done',
          actions: say('consent.not_registered'),
        },
        {
          guard: ({ context }) => wants(context, CHOICE.stop) && context.facts.optedOut,
          target: 'done',
          actions: say('consent.already_stopped'),
        },
        {
          guard: ({ context }) => wants(context, CHOICE.stop),
          target: 'done',
          actions: [
            {
              type: 'setConsent',
              params: ({ context }) => ({ optedOut: true, source: sourceOf(context.via) }),
            },
            say('consent.stopped'),
          ],
        },
        {
          guard: ({ context }) => wants(context, CHOICE.start) && !context.facts.optedOut,
          target: 'done',
          actions: say('consent.already_started'),
        },
        {
          guard: ({ context }) => wants(context, CHOICE.start),
          target: 'done',
          actions: [
            {
              type: 'setConsent',
              params: ({ context }) => ({ optedOut: false, source: sourceOf(context.via) }),
            },
            say('consent.started'),
          ],
        },
        // opened without saying which way: show where things stand, with the one button that changes it
        {
          guard: ({ context }) => context.facts.optedOut,
          target: 'done',
          actions: sayButtons('consent.status_stopped', [
            { id: CHOICE.start, titleKey: 'consent.start_button' },
            BUTTON.menu,
          ]),
        },
        {
          target: 'done',
          actions: sayButtons('consent.status_active', [
            { id: CHOICE.menuStop, titleKey: 'consent.stop_button' },
            BUTTON.menu,
          ]),
        },
      ],
    },
    done: { type: 'final' },
  },
});
