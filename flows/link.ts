import { assign, setup } from 'xstate';
import { BUTTON, effectActions, flowOutput, lockedUntil, officerTiming, say, sayButtons } from './effects.js';
import { isYes, kpjOf } from './text.js';
import { CHOICE, type Facts, type FlowEvent, type FlowInput, type FlowOutput } from './types.js';
import { parseVia } from './via.js';

// For a sender we cannot match to a participant (a new or changed number, or a WhatsApp username without
// a phone number): how to register or update the number, then a request to link this WhatsApp to a KPJ
// number, backed by the birth date. KPJ and birth date are printed on cards that employers and families
// hold, so a match only asks: an officer decides in the inbox, and the registered number is told. Whether
// a KPJ exists is never revealed: an unknown KPJ and a wrong birth date get the same answer, and the
// engine counts both towards the lock (per sender and per KPJ).

interface Context {
  facts: Facts;
  via: string;
  /** the KPJ typed, kept only until the birth date is checked */
  kpj: string | null;
}

const offer = sayButtons('link.offer', [{ id: CHOICE.linkYes, titleKey: 'link.yes_button' }, BUTTON.menu]);
const lockedButtons = [BUTTON.agent('link_locked'), BUTTON.menu];

export const linkMachine = setup({
  types: {
    context: {} as Context,
    events: {} as FlowEvent,
    input: {} as FlowInput,
    output: {} as FlowOutput,
  },
  actions: effectActions,
}).createMachine({
  id: 'link',
  context: ({ input }) => ({ facts: input.facts, via: input.via ?? '', kpj: null }),
  output: flowOutput,
  initial: 'start',
  on: {
    START: {
      target: '.start',
      reenter: true,
      actions: assign({ facts: ({ event }) => event.facts, via: ({ event }) => event.via ?? '', kpj: null }),
    },
    TIMEOUT: { target: '.timedOut', actions: assign({ kpj: null }) },
  },
  states: {
    start: {
      always: [
        {
          guard: ({ context }) => context.facts.registered && !context.facts.bsuidOnly,
          target: 'done',
          actions: sayButtons('link.already_registered', [BUTTON.bill, BUTTON.menu]),
        },
        {
          guard: ({ context }) => lockedUntil(context.facts.linkLockedUntil, context.facts),
          target: 'done',
          actions: {
            type: 'sayButtons',
            params: ({ context }) =>
              sayButtons('link.locked', lockedButtons, { retryAt: context.facts.linkLockedUntil ?? '' })
                .params,
          },
        },
        // a tap on "yes" in an older message
        {
          guard: ({ context }) => parseVia(context.via).detail === CHOICE.linkYes,
          target: 'askKpj',
          actions: say('link.ask_kpj'),
        },
        { target: 'offered', actions: [say('link.how_to_register'), offer] },
      ],
    },
    offered: {
      on: {
        CHOICE: [
          {
            guard: ({ event }) => event.id === CHOICE.linkYes,
            target: 'askKpj',
            actions: say('link.ask_kpj'),
          },
          { actions: offer },
        ],
        TEXT: [
          // someone who already knows what is needed may type the KPJ straight away
          {
            guard: ({ event }) => kpjOf(event.text) !== null,
            target: 'askBirthDate',
            actions: [assign({ kpj: ({ event }) => kpjOf(event.text) }), say('link.ask_birth_date')],
          },
          { guard: ({ event }) => isYes(event.text), target: 'askKpj', actions: say('link.ask_kpj') },
          { actions: offer },
        ],
        MEDIA: { actions: offer },
      },
    },
    askKpj: {
      on: {
        TEXT: [
          {
            guard: ({ event }) => kpjOf(event.text) !== null,
            target: 'askBirthDate',
            actions: [assign({ kpj: ({ event }) => kpjOf(event.text) }), say('link.ask_birth_date')],
          },
          { actions: say('link.kpj_invalid') },
        ],
        MEDIA: { actions: say('link.kpj_invalid') },
        CHOICE: { actions: say('link.ask_kpj') },
      },
    },
    askBirthDate: {
      on: {
        TEXT: {
          target: 'checking',
          actions: {
            type: 'checkBirthDate',
            params: ({ context, event }) => ({ text: event.text, kpj: context.kpj ?? '' }),
          },
        },
        MEDIA: { actions: say('verify.reask') },
        CHOICE: { actions: say('verify.reask') },
      },
    },
    checking: {
      on: {
        BIRTH_DATE_CHECKED: [
          {
            guard: ({ event }) => event.result === 'match',
            target: 'done',
            actions: [
              { type: 'requestLink', params: ({ context }) => ({ kpj: context.kpj ?? '' }) },
              assign({ kpj: null }),
              say('link.requested'),
              { type: 'say', params: ({ event }) => officerTiming(event.facts).params },
            ],
          },
          {
            guard: ({ event }) => event.result === 'locked',
            target: 'done',
            actions: [assign({ kpj: null }), sayButtons('link.locked_now', lockedButtons)],
          },
          {
            guard: ({ event }) => event.result === 'invalid',
            target: 'askBirthDate',
            actions: say('verify.invalid'),
          },
          // mismatch and unknown-kpj alike: start again from the KPJ, without saying which was wrong
          {
            target: 'askKpj',
            actions: [
              assign({ kpj: null }),
              {
                type: 'say',
                params: ({ event }) => say('link.no_match', { attemptsLeft: event.attemptsLeft }).params,
              },
            ],
          },
        ],
        // see bill.ts: a message here means the engine's answer was lost
        TEXT: {
          actions: {
            type: 'checkBirthDate',
            params: ({ context, event }) => ({ text: event.text, kpj: context.kpj ?? '' }),
          },
        },
        MEDIA: { target: 'askBirthDate', actions: say('verify.reask') },
        CHOICE: { target: 'askBirthDate', actions: say('verify.reask') },
      },
    },
    done: { type: 'final' },
    timedOut: { type: 'final' },
  },
});
