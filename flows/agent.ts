import { assign, setup } from 'xstate';
import { effectActions, flowOutput, officerTiming } from './effects.js';
import { CHOICE_PREFIX, type Facts, type FlowEvent, type FlowInput, type FlowOutput } from './types.js';
import { parseVia } from './via.js';

// A human is always one word away. The handoff opens at once, whatever the hour; the participant is told
// honestly whether someone is there now or when someone will be.

interface Context {
  facts: Facts;
  via: string;
}

/**
 * Why the participant asked, for the agents' inbox: the reason on a bot-offered button
 * (`AGENT:bill_locked`), else how they asked (`keyword`, `menu`, `template_button`, …).
 */
export function reasonOf(via: string): string {
  const { source, detail } = parseVia(via);
  if (detail.startsWith(CHOICE_PREFIX.agent)) return detail.slice(CHOICE_PREFIX.agent.length) || 'asked';
  return source || 'asked';
}

export const agentMachine = setup({
  types: {
    context: {} as Context,
    events: {} as FlowEvent,
    input: {} as FlowInput,
    output: {} as FlowOutput,
  },
  actions: effectActions,
}).createMachine({
  id: 'agent',
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
      always: {
        target: 'done',
        actions: [
          { type: 'openHandoff', params: ({ context }) => ({ reason: reasonOf(context.via) }) },
          { type: 'say', params: ({ context }) => officerTiming(context.facts).params },
        ],
      },
    },
    done: { type: 'final' },
  },
});
