import { assign, setup } from 'xstate';
import { BUTTON, effectActions, flowOutput, say, sayButtons, sayMenu } from './effects.js';
import { faqTopic, matchFaq } from './faq.js';
import type { Facts, FlowEvent, FlowInput, FlowOutput } from './types.js';
import { parseVia } from './via.js';

// Whatever the other flows do not handle: a common question gets its answer, anything else a short
// "sorry" and the menu. Twice in a row not understood, and a human is offered: someone who cannot make
// the bot understand them should not have to keep trying.

interface Context {
  facts: Facts;
  /** messages not understood in a row */
  misses: number;
  /** the FAQ topic of the message that opened the flow (the text itself is not kept) */
  topic: string | null;
  media: boolean;
}

const MISSES_BEFORE_OFFER = 2;

function topicOf(text: string | undefined): string | null {
  return (text ? matchFaq(text) : null)?.id ?? null;
}

const answer = (context: Context) => ({ key: faqTopic(context.topic)?.key ?? 'fallback.not_understood' });

const offerAgent = sayButtons('fallback.offer_agent', [BUTTON.agent('not_understood'), BUTTON.menu]);

export const fallbackMachine = setup({
  types: {
    context: {} as Context,
    events: {} as FlowEvent,
    input: {} as FlowInput,
    output: {} as FlowOutput,
  },
  actions: effectActions,
}).createMachine({
  id: 'fallback',
  context: ({ input }) => ({
    facts: input.facts,
    misses: 0,
    topic: topicOf(input.text),
    media: parseVia(input.via).source === 'media',
  }),
  output: flowOutput,
  initial: 'start',
  on: {
    START: {
      target: '.start',
      reenter: true,
      actions: assign({
        facts: ({ event }) => event.facts,
        misses: 0,
        topic: ({ event }) => topicOf(event.text),
        media: ({ event }) => parseVia(event.via).source === 'media',
      }),
    },
    TIMEOUT: '.timedOut',
  },
  states: {
    start: {
      always: [
        {
          guard: ({ context }) => faqTopic(context.topic)?.next !== undefined,
          target: 'handOver',
        },
        { guard: ({ context }) => context.topic !== null, target: 'answering' },
        {
          guard: ({ context }) => context.media,
          target: 'waiting',
          actions: [assign({ misses: 1, media: false }), say('fallback.media'), sayMenu],
        },
        { target: 'waiting', actions: [assign({ misses: 1 }), say('fallback.not_understood'), sayMenu] },
      ],
    },
    waiting: {
      on: {
        TEXT: [
          {
            guard: ({ event }) => matchFaq(event.text)?.next !== undefined,
            target: 'handOver',
            actions: assign({ topic: ({ event }) => topicOf(event.text) }),
          },
          {
            guard: ({ event }) => matchFaq(event.text) !== null,
            target: 'answering',
            actions: assign({ topic: ({ event }) => topicOf(event.text) }),
          },
          {
            guard: ({ context }) => context.misses + 1 >= MISSES_BEFORE_OFFER,
            actions: [assign({ misses: 0 }), offerAgent],
          },
          {
            actions: [
              assign({ misses: ({ context }) => context.misses + 1 }),
              say('fallback.not_understood'),
              sayMenu,
            ],
          },
        ],
        MEDIA: [
          {
            guard: ({ context }) => context.misses + 1 >= MISSES_BEFORE_OFFER,
            actions: [assign({ misses: 0 }), offerAgent],
          },
          {
            actions: [
              assign({ misses: ({ context }) => context.misses + 1 }),
              say('fallback.media'),
              sayMenu,
            ],
          },
        ],
        CHOICE: [
          {
            guard: ({ context }) => context.misses + 1 >= MISSES_BEFORE_OFFER,
            actions: [assign({ misses: 0 }), offerAgent],
          },
          {
            actions: [
              assign({ misses: ({ context }) => context.misses + 1 }),
              say('fallback.not_understood'),
              sayMenu,
            ],
          },
        ],
      },
    },
    // the topic is forgotten once answered, so that the stored snapshot holds only the count of misses
    answering: {
      always: [
        {
          guard: ({ context }) => faqTopic(context.topic)?.menu === true,
          target: 'waiting',
          actions: [
            { type: 'say', params: ({ context }) => answer(context) },
            assign({ misses: 0, topic: null }),
            sayMenu,
          ],
        },
        {
          target: 'waiting',
          actions: [
            { type: 'say', params: ({ context }) => answer(context) },
            assign({ misses: 0, topic: null }),
          ],
        },
      ],
    },
    handOver: {
      type: 'final',
      output: ({ context }) => ({ next: faqTopic(context.topic)?.next, via: `text:faq.${context.topic}` }),
    },
    timedOut: { type: 'final' },
  },
});
