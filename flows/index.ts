import { type AnyStateMachine, initialTransition, transition } from 'xstate';
import { agentMachine } from './agent.js';
import { billMachine } from './bill.js';
import { consentMachine } from './consent.js';
import { fallbackMachine } from './fallback.js';
import { languageMachine } from './language.js';
import { linkMachine } from './link.js';
import { menuMachine } from './menu.js';
import { payMachine } from './pay.js';
import {
  EFFECT_TYPES,
  type Effect,
  type FlowEvent,
  type FlowId,
  type FlowInput,
  type FlowOutput,
} from './types.js';

export { FAQ, faqTopic, matchFaq } from './faq.js';
export { MENU_ROWS } from './menu.js';
export { channelOfChoice } from './pay.js';
export { type InboundMessage, type Route, type RouteInput, route } from './router.js';
export * from './types.js';
export { parseVia, type ViaSource, via } from './via.js';

/**
 * Every flow with its version. Bump a version when a flow's states or context change so that an older
 * stored snapshot no longer fits: the engine then restarts that participant's flow instead of resuming it.
 */
export const FLOWS: Record<FlowId, { machine: AnyStateMachine; version: number }> = {
  menu: { machine: menuMachine, version: 1 },
  bill: { machine: billMachine, version: 1 },
  pay: { machine: payMachine, version: 1 },
  consent: { machine: consentMachine, version: 1 },
  agent: { machine: agentMachine, version: 1 },
  language: { machine: languageMachine, version: 1 },
  link: { machine: linkMachine, version: 1 },
  fallback: { machine: fallbackMachine, version: 1 },
};

const EFFECTS = new Set<string>(EFFECT_TYPES);

/** The effects among the actions a transition returned, in order, as plain data. */
export function effectsOf(actions: readonly { type: string; params?: unknown }[]): Effect[] {
  return actions
    .filter((a) => EFFECTS.has(a.type))
    .map((a) => ({ type: a.type, params: a.params ?? {} }) as Effect);
}

export interface Step {
  /** JSON-serialisable; store it, and give it back to `continueFlow` */
  snapshot: unknown;
  effects: Effect[];
  /** set when the flow is done */
  done: boolean;
  output: FlowOutput | undefined;
}

function stepOf(
  snapshot: { status: string; output?: unknown },
  actions: readonly { type: string; params?: unknown }[],
): Step {
  const done = snapshot.status === 'done';
  return {
    snapshot: JSON.parse(JSON.stringify(snapshot)),
    effects: effectsOf(actions),
    done,
    output: done ? ((snapshot.output as FlowOutput | undefined) ?? {}) : undefined,
  };
}

/** Starts `flow` afresh: the START event's facts, via and text are the flow's input. */
export function startFlow(flow: FlowId, start: FlowInput): Step {
  const input: FlowInput = { facts: start.facts };
  if (start.via !== undefined) input.via = start.via;
  if (start.text !== undefined) input.text = start.text;
  const [snapshot, actions] = initialTransition(FLOWS[flow].machine, input);
  return stepOf(snapshot, actions);
}

/**
 * Gives `event` to a stored snapshot of `flow`. A finished flow stays finished: `resolveState` would make
 * a stored final snapshot active again (XState 5.33), so a done snapshot is answered with no effects.
 */
export function continueFlow(flow: FlowId, stored: unknown, event: FlowEvent): Step {
  const persisted = stored as { status?: string; output?: FlowOutput };
  if (persisted.status === 'done') {
    return { snapshot: stored, effects: [], done: true, output: persisted.output ?? {} };
  }
  const { machine } = FLOWS[flow];
  const [snapshot, actions] = transition(
    machine,
    machine.resolveState(stored as Parameters<typeof machine.resolveState>[0]),
    event,
  );
  return stepOf(snapshot, actions);
}
