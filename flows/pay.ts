import { assign, setup } from 'xstate';
import {
  BUTTON,
  effectActions,
  flowOutput,
  lockedUntil,
  say,
  sayButtons,
  sayPaymentChannels,
} from './effects.js';
import { words } from './text.js';
import {
  CHOICE_PREFIX,
  choiceValue,
  type Facts,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  PAY_CHANNELS,
  type PayChannel,
} from './types.js';
import { parseVia } from './via.js';

// "How to pay". The channel list is public; the steps carry the participant's own payment code and
// amount, so they go only to a registered number whose holder has confirmed the birth date, exactly as
// a bill does.

interface Context {
  facts: Facts;
  channel: PayChannel | null;
}

export function channelOfChoice(id: string): PayChannel | null {
  return choiceValue(id, CHOICE_PREFIX.payChannel, PAY_CHANNELS);
}

// Names people type for each channel; "kantor pos" must reach the post office, not the branch office.
const TYPED: [PayChannel, string[]][] = [
  ['pos', ['pos', 'kantorpos', 'posindonesia']],
  ['bri', ['bri', 'brimo', 'brilink']],
  ['mandiri', ['mandiri', 'livin']],
  ['bni', ['bni']],
  ['btn', ['btn']],
  ['dana', ['dana']],
  ['linkaja', ['linkaja']],
  ['perisai', ['perisai']],
  ['office', ['kantor', 'office', 'cabang']],
];

/** A channel named in typed text ("lewat BRI saja"), else null. */
export function channelOfText(text: string): PayChannel | null {
  const w = words(text);
  const joined = new Set([...w, ...w.slice(1).map((x, i) => `${w[i]}${x}`)]);
  for (const [channel, names] of TYPED) if (names.some((n) => joined.has(n))) return channel;
  return null;
}

export const payMachine = setup({
  types: {
    context: {} as Context,
    events: {} as FlowEvent,
    input: {} as FlowInput,
    output: {} as FlowOutput,
  },
  actions: effectActions,
}).createMachine({
  id: 'pay',
  context: ({ input }) => ({
    facts: input.facts,
    channel: channelOfChoice(parseVia(input.via).detail),
  }),
  output: flowOutput,
  initial: 'start',
  on: {
    START: {
      target: '.start',
      reenter: true,
      actions: assign({
        facts: ({ event }) => event.facts,
        channel: ({ event }) => channelOfChoice(parseVia(event.via).detail),
      }),
    },
    TIMEOUT: '.timedOut',
  },
  states: {
    start: {
      always: [
        {
          guard: ({ context }) => context.facts.registered && context.facts.category === 'PU',
          target: 'done',
          actions: [say('bill.pu_employer_pays'), say('bill.pu_check_jmo')],
        },
        // a tap on a channel of an older list goes straight to that channel
        { guard: ({ context }) => context.channel !== null, target: 'decide' },
        { target: 'choosing', actions: sayPaymentChannels },
      ],
    },
    choosing: {
      on: {
        CHOICE: [
          {
            guard: ({ event }) => channelOfChoice(event.id) !== null,
            target: 'decide',
            actions: assign({
              facts: ({ event }) => event.facts,
              channel: ({ event }) => channelOfChoice(event.id),
            }),
          },
          { actions: [say('pay.pick_again'), sayPaymentChannels] },
        ],
        TEXT: [
          {
            guard: ({ event }) => channelOfText(event.text) !== null,
            target: 'decide',
            actions: assign({
              facts: ({ event }) => event.facts,
              channel: ({ event }) => channelOfText(event.text),
            }),
          },
          { actions: [say('pay.pick_again'), sayPaymentChannels] },
        ],
        MEDIA: { actions: [say('pay.pick_again'), sayPaymentChannels] },
      },
    },
    decide: {
      always: [
        {
          guard: ({ context }) => context.facts.bsuidOnly || !context.facts.registered,
          target: 'done',
          actions: say('pay.no_code'),
        },
        {
          guard: ({ context }) => context.facts.verified,
          target: 'done',
          actions: { type: 'sayPaymentSteps', params: ({ context }) => ({ channel: context.channel ?? '' }) },
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
        { target: 'askBirthDate', actions: say('verify.ask_pay') },
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
          {
            guard: ({ event }) => event.result === 'match',
            target: 'done',
            actions: {
              type: 'sayPaymentSteps',
              params: ({ context }) => ({ channel: context.channel ?? '' }),
            },
          },
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
        // see bill.ts: a message here means the engine's answer was lost
        TEXT: { actions: { type: 'checkBirthDate', params: ({ event }) => ({ text: event.text }) } },
        MEDIA: { target: 'askBirthDate', actions: say('verify.reask') },
        CHOICE: { target: 'askBirthDate', actions: say('verify.reask') },
      },
    },
    done: { type: 'final' },
    timedOut: { type: 'final' },
  },
});
