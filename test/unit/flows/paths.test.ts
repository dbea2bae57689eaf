import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import {
  continueFlow,
  EFFECT_TYPES,
  effectsOf,
  FLOWS,
  type FlowEvent,
  type FlowId,
  PAY_CHANNELS,
  startFlow,
} from '../../../flows/index.js';
import { allTraces, facts, isUnregistered, type Trace } from './support.js';

// Every path of every flow, walked with @xstate/graph from every way it can open and for every kind of
// sender, then replayed as the engine runs it (snapshots through JSON). Properties hold on all of them.

const traces = allTraces();
const FLOW_IDS = Object.keys(FLOWS) as FlowId[];
const DISCLOSING = new Set(['sayBill', 'sayPaymentSteps']);

describe('all paths', () => {
  it('are many, for every flow', () => {
    for (const flow of FLOW_IDS) expect(traces.filter((t) => t.flow === flow).length).toBeGreaterThan(5);
    expect(traces.length).toBeGreaterThan(1000);
  });

  it('reach every state of every flow', () => {
    for (const flow of FLOW_IDS) {
      const states = Object.keys(FLOWS[flow].machine.root.states);
      const reached = new Set(
        traces.filter((t) => t.flow === flow).flatMap((t) => t.steps.map((s) => s.value)),
      );
      // `start`, `decide`, `set`, `answering` are passed through on the way; the rest are where flows rest
      const transient = ['start', 'decide', 'set', 'answering'];
      for (const state of states.filter((s) => !transient.includes(s))) {
        expect(reached, `${flow}.${state}`).toContain(state);
      }
    }
  });

  it('never show a bill or a payment code to an unregistered sender', () => {
    const bad = traces.filter(
      (t) => isUnregistered(t.facts) && t.steps.some((s) => s.effects.some((e) => DISCLOSING.has(e.type))),
    );
    expect(bad.map(describeTrace)).toEqual([]);
  });

  it('show a bill or payment code to an unverified number only right after a check it asked for matched', () => {
    const bad = traces.filter((t) => {
      if (t.facts.verified) return false;
      let asked = false;
      return t.steps.some((s) => {
        const disclosing = s.effects.some((e) => DISCLOSING.has(e.type));
        const ok = asked && s.event?.type === 'BIRTH_DATE_CHECKED' && s.event.result === 'match';
        if (s.effects.some((e) => e.type === 'checkBirthDate')) asked = true;
        return disclosing && !ok;
      });
    });
    expect(bad.map(describeTrace)).toEqual([]);
  });

  it('ask to link an account only after a match for the KPJ that was checked', () => {
    for (const t of traces) {
      let checkedKpj: string | undefined;
      for (const s of t.steps) {
        for (const e of s.effects) {
          if (e.type === 'checkBirthDate') checkedKpj = e.params.kpj;
          if (e.type === 'requestLink') {
            expect(s.event).toMatchObject({ type: 'BIRTH_DATE_CHECKED', result: 'match' });
            expect(e.params.kpj).toBe(checkedKpj);
            expect(e.params.kpj).toMatch(/^\d{11}$/);
          }
        }
      }
    }
  });

  it('change consent only for a registered number, and only when it changes something', () => {
    for (const t of traces) {
      for (const e of t.steps.flatMap((s) => s.effects)) {
        if (e.type !== 'setConsent') continue;
        expect(isUnregistered(t.facts), describeTrace(t)).toBe(false);
        expect(e.params.optedOut).not.toBe(t.facts.optedOut);
        expect(['keyword', 'template_button', 'menu']).toContain(e.params.source);
      }
    }
  });

  it('answer every message while open: an effect, or a hand-over to the next flow', () => {
    const silent = traces.flatMap((t) =>
      t.steps.slice(1).flatMap((s, i) => {
        const before = t.steps[i];
        if (!before || before.done || !s.event) return [];
        // a participant's message, or the engine's answer to a check the flow asked for
        const answersCheck = before.effects.some((e) => e.type === 'checkBirthDate');
        if (s.event.type === 'TIMEOUT' || (s.event.type === 'BIRTH_DATE_CHECKED' && !answersCheck)) return [];
        const handedOver = s.done && t.output?.next !== undefined;
        return s.effects.length === 0 && !handedOver ? [`${describeTrace(t)} @${i + 1}`] : [];
      }),
    );
    expect(silent.slice(0, 10)).toEqual([]);
    for (const t of traces)
      expect(t.steps[0]?.effects.length || t.output?.next, describeTrace(t)).toBeTruthy();
  });

  it('emit only known effects, with well-formed params', () => {
    for (const e of traces.flatMap((t) => t.steps.flatMap((s) => s.effects))) {
      expect(EFFECT_TYPES).toContain(e.type);
      if (e.type === 'sayPaymentSteps') expect(PAY_CHANNELS).toContain(e.params.channel);
      if (e.type === 'sayButtons') {
        expect(e.params.buttons.length).toBeGreaterThan(0);
        expect(e.params.buttons.length).toBeLessThanOrEqual(3);
      }
      if (e.type === 'checkBirthDate') expect(e.params.text).not.toBe('');
      if (e.type === 'openHandoff') expect(e.params.reason).toMatch(/^[a-z_]+$/);
    }
  });

  it('finish with an output the engine understands', () => {
    for (const t of traces.filter((x) => x.output)) {
      if (t.output?.next !== undefined) expect(FLOW_IDS).toContain(t.output.next);
    }
  });
});

describe('snapshots', () => {
  it('survive JSON and resolveState mid-flow, and continue as the live one does', () => {
    const f = facts();
    const cases: [FlowId, FlowEvent[], FlowEvent][] = [
      [
        'bill',
        [{ type: 'TEXT', text: '17-08-1965', facts: f }],
        { type: 'BIRTH_DATE_CHECKED', result: 'match', attemptsLeft: 2, facts: f },
      ],
      [
        'pay',
        [{ type: 'CHOICE', id: 'PAYCH:bni', facts: f }],
        { type: 'TEXT', text: '01-01-1970', facts: f },
      ],
      [
        'link',
        [
          { type: 'CHOICE', id: 'LINK:YES', facts: f },
          { type: 'TEXT', text: '12345678901', facts: f },
        ],
        { type: 'TEXT', text: '01011970', facts: f },
      ],
      ['fallback', [{ type: 'TEXT', text: 'xx', facts: f }], { type: 'TEXT', text: 'yy', facts: f }],
      ['language', [], { type: 'TEXT', text: 'jawa', facts: f }],
    ];
    const input = { facts: facts({ registered: false }) };
    for (const [flow, before, next] of cases) {
      const { machine } = FLOWS[flow];
      const startInput = flow === 'link' ? input : { facts: f };
      let [live] = initialTransition(machine, startInput);
      for (const e of before) [live] = transition(machine, live, e);
      const restored = machine.resolveState(JSON.parse(JSON.stringify(live)));
      expect(restored.value).toEqual(live.value);
      const [a, liveActions] = transition(machine, live, next);
      const [b, restoredActions] = transition(machine, restored, next);
      expect(b.value).toEqual(a.value);
      expect(effectsOf(restoredActions)).toEqual(effectsOf(liveActions));
      expect(effectsOf(liveActions).length).toBeGreaterThan(0);
    }
  });

  it('a START given to a live snapshot restarts the flow in place, with the same effects as a fresh start', () => {
    const f = facts();
    const mid = continueFlow('bill', startFlow('bill', { facts: f }).snapshot, {
      type: 'TEXT',
      text: 'x',
      facts: f,
    });
    const verified = facts({ verified: true });
    const restarted = continueFlow('bill', mid.snapshot, {
      type: 'START',
      facts: verified,
      via: 'menu:BILL',
    });
    expect(restarted.effects).toEqual(startFlow('bill', { facts: verified, via: 'menu:BILL' }).effects);
  });
});

function describeTrace(t: Trace): string {
  const events = t.steps.slice(1).map((s) => {
    const e = s.event;
    if (!e) return '?';
    if (e.type === 'TEXT') return `TEXT(${e.text})`;
    if (e.type === 'CHOICE') return `CHOICE(${e.id})`;
    if (e.type === 'BIRTH_DATE_CHECKED') return `CHECKED(${e.result})`;
    return e.type;
  });
  return `${t.flow}/${t.profile}/${JSON.stringify(t.start)}: ${events.join(' → ')}`;
}
