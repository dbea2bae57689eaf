import { assign, setup } from 'xstate';
import { BUTTON, effectActions, flowOutput, lockedUntil, say, sayBill, sayButtons } from './effects.js';
import type { Facts, FlowEvent, FlowInput, FlowOutput } from './types.js';

// "Check my bill". A bill goes only to the participant's registered number, and only after the person
// holding that number confirms the birth date: numbers are recycled, so the number alone proves nothing.
// The engine checks the typed date and counts wrong answers; this flow only reacts to its verdict.

interface Context {
  facts: Facts;
}

export const billMachine = setup({
  types: {
    context: {} as Context,
    events: {} as FlowEvent,
    input: {} as FlowInput,
    output: {} as FlowOutput,
  },
  actions: effectActions,
}).createMachine({
  id: 'bill',
  context: ({ input }) => ({ facts: input.facts }),
  output: flowOutput,
  initial: 'start',
  on: {
    START: { target: '.start', reenter: true, actions: assign({ facts: ({ event }) => event.facts }) },
    TIMEOUT: '.timedOut',
  },
  states: {
    start: {
      always: [
        {
          guard: ({ context }) => context.facts.bsuidOnly,
          target: 'toLink',
          actions: say('bill.bsuid_only'),
        },
        {
          guard: ({ context }) => !context.facts.registered,
          target: 'toLink',
          actions: say('bill.unregistered'),
        },
        {
          guard: ({ context }) => context.facts.category === 'PU',
          target: 'done',
          actions: [say('bill.pu_employer_pays'), say('bill.pu_check_jmo')],
        },
        {
          guard: ({ context }) => lockedUntil(context.facts.billLockedUntil, context.facts),
          target: 'done',
          actions: {
            type: 'sayButtons',
            params: ({ context }) =>
              sayButtons('verify.locked', [BUTTON.agent('bill_locked'), BUTTON.menu], {
                unlockAt: context.facts.billLockedUntil ?? '',
              }).params,
          },
        },
        { guard: ({ context }) => context.facts.verified, target: 'done', actions: sayBill },
        { target: 'askBirthDate', actions: say('verify.ask') },
      ],
    },
    askBirthDate: {
      on: {
        TEXT: {
          target: 'checking',
          actions: { type: 'checkBirthDate', params: ({ event }) => ({ text: event.text }) },
        },
        MEDIA: { actions: say('verify.reask') },
        CHOICE: { actions: say('verify.reask') },
      },
    },
    checking: {
      on: {
        BIRTH_DATE_CHECKED: [
          { guard: ({ event }) => event.result === 'match', target: 'done', actions: sayBill },
          {
            guard: ({ event }) => event.result === 'locked',
            target: 'done',
            actions: sayButtons('verify.locked_now', [BUTTON.agent('bill_locked'), BUTTON.menu]),
          },
          {
            guard: ({ event }) => event.result === 'invalid',
            target: 'askBirthDate',
            actions: say('verify.invalid'),
          },
          {
            target: 'askBirthDate',
            actions: {
              type: 'say',
              params: ({ event }) => say('verify.mismatch', { attemptsLeft: event.attemptsLeft }).params,
            },
          },
        ],
        // The engine answers a check at once; a message arriving here means that answer was lost, so
        // the new text is checked instead of leaving the participant without a reply.
        TEXT: { actions: { type: 'checkBirthDate', params: ({ event }) => ({ text: event.text }) } },
        MEDIA: { target: 'askBirthDate', actions: say('verify.reask') },
        CHOICE: { target: 'askBirthDate', actions: say('verify.reask') },
      },
    },
    toLink: { type: 'final', output: { next: 'link' } },
    done: { type: 'final' },
    timedOut: { type: 'final' },
  },
});
