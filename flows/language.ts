import { assign, setup } from 'xstate';
import { effectActions, flowOutput, say, sayLanguages } from './effects.js';
import { words } from './text.js';
import {
  CHOICE_PREFIX,
  choiceValue,
  type Facts,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  LANGUAGES,
  type Language,
} from './types.js';
import { parseVia } from './via.js';

// Choosing Bahasa Indonesia, English or Basa Jawa. The confirmation follows setLanguage, so the engine
// renders it in the language just chosen: the participant sees at once that it worked.

interface Context {
  facts: Facts;
  /** a language already named by what opened the flow ("basa jawa", a tap on an older button) */
  chosen: Language | null;
}

export function languageOfChoice(id: string): Language | null {
  return choiceValue(id, CHOICE_PREFIX.language, LANGUAGES);
}

// Javanese first: "bahasa jawa" names Javanese even though "bahasa" is Indonesian.
const NAMES: [Language, string[]][] = [
  ['jv', ['jawa', 'jowo', 'javanese']],
  ['en', ['english', 'inggris', 'eng']],
  ['id', ['indonesia', 'indonesian', 'indo']],
];

/** A language named in typed text ("english", "Basa Jawa", "boso jowo"), else null. */
export function languageOfText(text: string): Language | null {
  const w = words(text);
  for (const [language, names] of NAMES) if (names.some((n) => w.includes(n))) return language;
  return null;
}

/** The three buttons in order, for a typed 1, 2 or 3. */
function languageOfDigit(text: string): Language | null {
  const w = words(text);
  return w.length === 1 && /^[1-3]$/.test(w[0] ?? '') ? (LANGUAGES[Number(w[0]) - 1] ?? null) : null;
}

function chosenAtStart(input: { via?: string; text?: string }): Language | null {
  return languageOfChoice(parseVia(input.via).detail) ?? (input.text ? languageOfText(input.text) : null);
}

export const languageMachine = setup({
  types: {
    context: {} as Context,
    events: {} as FlowEvent,
    input: {} as FlowInput,
    output: {} as FlowOutput,
  },
  actions: effectActions,
}).createMachine({
  id: 'language',
  context: ({ input }) => ({ facts: input.facts, chosen: chosenAtStart(input) }),
  output: flowOutput,
  initial: 'start',
  on: {
    START: {
      target: '.start',
      reenter: true,
      actions: assign({ facts: ({ event }) => event.facts, chosen: ({ event }) => chosenAtStart(event) }),
    },
    TIMEOUT: '.timedOut',
  },
  states: {
    start: {
      always: [
        { guard: ({ context }) => context.chosen !== null, target: 'set' },
        { target: 'choosing', actions: sayLanguages },
      ],
    },
    choosing: {
      on: {
        CHOICE: [
          {
            guard: ({ event }) => languageOfChoice(event.id) !== null,
            target: 'set',
            actions: assign({ chosen: ({ event }) => languageOfChoice(event.id) }),
          },
          { actions: sayLanguages },
        ],
        TEXT: [
          {
            guard: ({ event }) => (languageOfText(event.text) ?? languageOfDigit(event.text)) !== null,
            target: 'set',
            actions: assign({
              chosen: ({ event }) => languageOfText(event.text) ?? languageOfDigit(event.text),
            }),
          },
          { actions: sayLanguages },
        ],
        MEDIA: { actions: sayLanguages },
      },
    },
    set: {
      always: {
        target: 'done',
        actions: [
          { type: 'setLanguage', params: ({ context }) => ({ language: context.chosen ?? 'id' }) },
          say('language.changed'),
        ],
      },
    },
    done: { type: 'final' },
    timedOut: { type: 'final' },
  },
});
