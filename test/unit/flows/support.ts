import { getAdjacencyMap, getShortestPaths, getSimplePaths, serializeSnapshot } from '@xstate/graph';
import { initialTransition, transition } from 'xstate';
import {
  continueFlow,
  type Effect,
  effectsOf,
  type Facts,
  FLOWS,
  type FlowEvent,
  type FlowId,
  type FlowInput,
  type FlowOutput,
  type Step,
  startFlow,
} from '../../../flows/index.js';

// Shared by the flow, path and locale tests: fact profiles, sample events, and a runner that feeds events
// to the pure machines and reads back the effects, as the engine does.

export const NOW = '2026-11-20T03:00:00.000Z';
const LATER = '2026-11-21T03:00:00.000Z';
const EARLIER = '2026-11-19T03:00:00.000Z';

export function facts(over: Partial<Facts> = {}): Facts {
  return {
    now: NOW,
    registered: true,
    bsuidOnly: false,
    language: 'id',
    category: 'BPU',
    optedOut: false,
    verified: false,
    billLockedUntil: null,
    linkLockedUntil: null,
    officeOpen: true,
    nextOfficeOpen: null,
    ...over,
  };
}

/** Who might be writing: each flow is walked once per profile. */
export const PROFILES: Record<string, Facts> = {
  unregistered: facts({ registered: false, category: null }),
  bsuidOnly: facts({ registered: false, bsuidOnly: true, category: null }),
  unverified: facts(),
  verified: facts({ verified: true }),
  pu: facts({ category: 'PU' }),
  billLocked: facts({ billLockedUntil: LATER }),
  billLockExpired: facts({ billLockedUntil: EARLIER }),
  optedOut: facts({ optedOut: true }),
  offDuty: facts({ officeOpen: false, nextOfficeOpen: '2026-11-23T01:00:00.000Z' }),
  offDutyUnknown: facts({ officeOpen: false, nextOfficeOpen: null }),
  linkLocked: facts({ registered: false, category: null, linkLockedUntil: LATER }),
};

export const isUnregistered = (f: Facts) => !f.registered || f.bsuidOnly;

/** What may open each flow (`via`, and for the fallback a text). */
export const STARTS: Record<FlowId, Omit<FlowInput, 'facts'>[]> = {
  menu: [{ via: 'keyword:MENU' }],
  bill: [{ via: 'template_button:BILL' }],
  pay: [{ via: 'menu:PAY' }, { via: 'choice:PAYCH:dana' }],
  consent: [
    { via: 'keyword:STOP' },
    { via: 'template_button:STOP' },
    { via: 'menu:STOP' },
    { via: 'keyword:START' },
    { via: 'button:START' },
    { via: 'flow:menu' },
  ],
  agent: [{ via: 'keyword:AGENT' }, { via: 'button:AGENT:bill_locked' }],
  language: [
    { via: 'keyword:LANGUAGE' },
    { via: 'keyword:LANG:en' },
    { via: 'keyword:LANGUAGE', text: 'basa jawa' },
  ],
  link: [{ via: 'flow:bill' }, { via: 'choice:LINK:YES' }],
  fallback: [
    { via: 'text', text: 'asdfgh' },
    { via: 'text', text: 'alamat kantor di mana?' },
    { via: 'text', text: 'terima kasih' },
    { via: 'text', text: 'cara bayar' },
    { via: 'media:image' },
  ],
};

type Sample = { [K in FlowEvent['type']]: Omit<Extract<FlowEvent, { type: K }>, 'facts'> }[FlowEvent['type']];

const checked = (
  result: Extract<FlowEvent, { type: 'BIRTH_DATE_CHECKED' }>['result'],
  attemptsLeft: number,
): Sample => ({
  type: 'BIRTH_DATE_CHECKED',
  result,
  attemptsLeft,
});

/** Sample events of every type each flow may meet, without facts. */
export const SAMPLES: Record<FlowId, Sample[]> = {
  menu: [
    { type: 'CHOICE', id: 'MENU:PAY' },
    { type: 'TEXT', text: '5' },
    { type: 'TEXT', text: 'hmm' },
    { type: 'MEDIA', kind: 'sticker' },
    { type: 'TIMEOUT' },
  ],
  bill: [
    { type: 'TEXT', text: '17-08-1965' },
    { type: 'MEDIA', kind: 'image' },
    { type: 'CHOICE', id: 'PAYCH:bri' },
    checked('match', 2),
    checked('mismatch', 1),
    checked('invalid', 2),
    checked('locked', 0),
    { type: 'TIMEOUT' },
  ],
  pay: [
    { type: 'CHOICE', id: 'PAYCH:bri' },
    { type: 'CHOICE', id: 'PAYCH:gopay' },
    { type: 'TEXT', text: 'lewat kantor pos' },
    { type: 'TEXT', text: '17-08-1965' },
    { type: 'MEDIA', kind: 'audio' },
    checked('match', 2),
    checked('mismatch', 1),
    checked('invalid', 2),
    checked('locked', 0),
    { type: 'TIMEOUT' },
  ],
  consent: [{ type: 'TEXT', text: 'ok' }, { type: 'TIMEOUT' }],
  agent: [{ type: 'TEXT', text: 'halo' }, { type: 'TIMEOUT' }],
  language: [
    { type: 'CHOICE', id: 'LANG:jv' },
    { type: 'CHOICE', id: 'LANG:xx' },
    { type: 'TEXT', text: 'english' },
    { type: 'TEXT', text: '1' },
    { type: 'TEXT', text: 'hmm' },
    { type: 'MEDIA', kind: 'image' },
    { type: 'TIMEOUT' },
  ],
  link: [
    { type: 'CHOICE', id: 'LINK:YES' },
    { type: 'CHOICE', id: 'MENU:BILL' },
    { type: 'TEXT', text: 'ya' },
    { type: 'TEXT', text: '1234 5678 901' },
    { type: 'TEXT', text: '123' },
    { type: 'MEDIA', kind: 'image' },
    checked('match', 2),
    checked('mismatch', 1),
    checked('unknown-kpj', 1),
    checked('invalid', 2),
    checked('locked', 0),
    { type: 'TIMEOUT' },
  ],
  fallback: [
    { type: 'TEXT', text: 'qwerty' },
    { type: 'TEXT', text: 'apa itu JMO?' },
    { type: 'TEXT', text: 'cek tagihan' },
    { type: 'MEDIA', kind: 'sticker' },
    { type: 'CHOICE', id: 'OLD:1' },
    { type: 'TIMEOUT' },
  ],
};

export const withFacts = (sample: Sample, f: Facts): FlowEvent => ({ ...sample, facts: f }) as FlowEvent;

export interface Trace {
  flow: FlowId;
  profile: string;
  facts: Facts;
  start: Omit<FlowInput, 'facts'>;
  /** events after the start, and the effects each produced (the start's effects come first, event null) */
  steps: { event: FlowEvent | null; effects: Effect[]; done: boolean; value: unknown }[];
  output: FlowOutput | undefined;
}

/**
 * The event sequences to walk from one start: every simple path (each state reached without repeating
 * one), and for every transition the shortest path to its source state followed by it, so that the
 * transitions back to a state already seen (a wrong birth date, then the question again) are walked too.
 */
function eventSequences(flow: FlowId, input: FlowInput): FlowEvent[][] {
  const { machine } = FLOWS[flow];
  const options = { input, events: SAMPLES[flow].map((s) => withFacts(s, input.facts)) };
  const eventsOf = (steps: { event: unknown }[]) =>
    steps.map((s) => s.event as FlowEvent).filter((e) => (e.type as string) !== 'xstate.init');
  const sequences = getSimplePaths(machine, options).map((path) => eventsOf(path.steps));
  const shortest = new Map(
    getShortestPaths(machine, options).map((p) => [serializeSnapshot(p.state), eventsOf(p.steps)]),
  );
  for (const [key, vertex] of Object.entries(getAdjacencyMap(machine, options))) {
    const head = shortest.get(key as ReturnType<typeof serializeSnapshot>);
    if (!head) continue;
    for (const edge of Object.values(vertex.transitions) as { event: unknown }[]) {
      sequences.push([...head, edge.event as FlowEvent]);
    }
  }
  const seen = new Set<string>();
  return sequences.filter((events) => {
    const key = JSON.stringify(events.map((e) => ({ ...e, facts: undefined })));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every path of `flow` from one start (see eventSequences), replayed through JSON-persisted snapshots. */
export function tracesOf(flow: FlowId, profile: string, start: Omit<FlowInput, 'facts'>): Trace[] {
  const f = PROFILES[profile] as Facts;
  const input: FlowInput = { facts: f, ...start };
  return eventSequences(flow, input).map((events) => {
    let step: Step = startFlow(flow, input);
    const stateOf = (x: Step) => (x.snapshot as { value: unknown }).value;
    const steps: Trace['steps'] = [
      { event: null, effects: step.effects, done: step.done, value: stateOf(step) },
    ];
    for (const event of events) {
      step = continueFlow(flow, step.snapshot, event);
      steps.push({ event, effects: step.effects, done: step.done, value: stateOf(step) });
    }
    return { flow, profile, facts: f, start, steps, output: step.output };
  });
}

/** All traces of all flows, profiles and starts. */
export function allTraces(): Trace[] {
  const out: Trace[] = [];
  for (const flow of Object.keys(FLOWS) as FlowId[]) {
    for (const profile of Object.keys(PROFILES))
      for (const start of STARTS[flow]) out.push(...tracesOf(flow, profile, start));
  }
  return out;
}

/** Runs a start and events directly, without the graph, on the live snapshot (no JSON round trip). */
export function run(flow: FlowId, f: Facts, start: Omit<FlowInput, 'facts'>, ...samples: Sample[]) {
  const { machine } = FLOWS[flow];
  let [snapshot, actions] = initialTransition(machine, { facts: f, ...start });
  const effects: Effect[][] = [effectsOf(actions)];
  for (const sample of samples) {
    [snapshot, actions] = transition(machine, snapshot, withFacts(sample, f));
    effects.push(effectsOf(actions));
  }
  return {
    effects,
    all: effects.flat(),
    done: snapshot.status === 'done',
    output: snapshot.status === 'done' ? (snapshot.output as FlowOutput) : undefined,
    value: snapshot.value,
  };
}

/** An effect's shape for compact tables: `say:bill.unregistered`, `sayButtons:verify.locked`, `sayBill`. */
export function sig(e: Effect): string {
  if (e.type === 'say') return `say:${e.params.key}`;
  if (e.type === 'sayButtons') return `sayButtons:${e.params.bodyKey}`;
  if (e.type === 'sayPaymentSteps') return `sayPaymentSteps:${e.params.channel}`;
  if (e.type === 'setConsent') return `setConsent:${e.params.optedOut ? 'out' : 'in'}:${e.params.source}`;
  if (e.type === 'setLanguage') return `setLanguage:${e.params.language}`;
  if (e.type === 'openHandoff') return `openHandoff:${e.params.reason}`;
  if (e.type === 'requestLink') return `requestLink:${e.params.kpj}`;
  return e.type;
}

/** Every locale key an effect names. */
export function keysOf(e: Effect): string[] {
  if (e.type === 'say') return [e.params.key];
  if (e.type === 'sayButtons') return [e.params.bodyKey, ...e.params.buttons.map((b) => b.titleKey)];
  return [];
}
