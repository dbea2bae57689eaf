import { CHOICE, CHOICE_PREFIX, type Effect, type EffectType, type Facts, type FlowOutput } from './types.js';

type ParamsOf<T extends EffectType> = Extract<Effect, { type: T }>['params'];

// Flows never perform effects: the engine reads them from the actions a transition returns. These no-op
// implementations only declare each effect's name and params type to XState.
const declare =
  <T extends EffectType>() =>
  (_: unknown, _params: ParamsOf<T>): void => {};

export const effectActions = {
  say: declare<'say'>(),
  sayMenu: declare<'sayMenu'>(),
  sayButtons: declare<'sayButtons'>(),
  sayBill: declare<'sayBill'>(),
  sayPaymentChannels: declare<'sayPaymentChannels'>(),
  sayPaymentSteps: declare<'sayPaymentSteps'>(),
  sayLanguages: declare<'sayLanguages'>(),
  checkBirthDate: declare<'checkBirthDate'>(),
  setConsent: declare<'setConsent'>(),
  setLanguage: declare<'setLanguage'>(),
  openHandoff: declare<'openHandoff'>(),
  requestLink: declare<'requestLink'>(),
};

type Vars = Record<string, string | number>;

export function say(key: string, vars?: Vars) {
  return { type: 'say' as const, params: vars ? { key, vars } : { key } };
}

export function sayButtons(bodyKey: string, buttons: { id: string; titleKey: string }[], vars?: Vars) {
  return { type: 'sayButtons' as const, params: vars ? { bodyKey, vars, buttons } : { bodyKey, buttons } };
}

export const sayMenu = { type: 'sayMenu' as const, params: {} };
export const sayBill = { type: 'sayBill' as const, params: {} };
export const sayPaymentChannels = { type: 'sayPaymentChannels' as const, params: {} };
export const sayLanguages = { type: 'sayLanguages' as const, params: {} };

/** Buttons the flows offer again and again, with their locale title keys. */
export const BUTTON = {
  menu: { id: CHOICE.menu, titleKey: 'common.menu_button' },
  bill: { id: CHOICE.menuBill, titleKey: 'common.bill_button' },
  pay: { id: CHOICE.menuPay, titleKey: 'common.pay_button' },
  /** an officer, with the reason the handoff will carry */
  agent: (reason: string) => ({ id: `${CHOICE_PREFIX.agent}${reason}`, titleKey: 'common.agent_button' }),
};

/** When an officer will answer: now, from the next opening, or in the next working hours. */
export function officerTiming(facts: Facts) {
  if (facts.officeOpen) return say('agent.on_duty');
  if (facts.nextOfficeOpen !== null) return say('agent.off_duty', { opensAt: facts.nextOfficeOpen });
  return say('agent.off_duty_later');
}

/** True while a lock (an ISO time) lies after `facts.now`. */
export function lockedUntil(until: string | null, facts: Facts): boolean {
  return until !== null && Date.parse(until) > Date.parse(facts.now);
}

/** The root `output` of every flow: the top-level final state's output, or "rest". */
export function flowOutput({ event }: { event: { output?: unknown } }): FlowOutput {
  return (event.output as FlowOutput | undefined) ?? {};
}
