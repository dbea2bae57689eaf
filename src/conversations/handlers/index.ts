import type { Effect, FlowEvent } from '../../../flows/index.js';
import { checkBirthDate } from './check-birth-date.js';
import { openHandoff } from './open-handoff.js';
import { requestLink } from './request-link.js';
import { say } from './say.js';
import { setConsent } from './set-consent.js';
import { setLanguage } from './set-language.js';
import type { Handler, HandlerDeps, Handlers, Scene } from './types.js';

// The engine applies what a flow emitted through one handler per kind of effect (RapidPro's mailroom,
// core/runner/handlers, is the model). Each handler changes only what its effect names, through the room
// that owns it: participants for consent, language, confirmations and link requests; handoff for the inbox.

export { LINK_NOTICE_KEY, LINK_REQUEST_REASON } from './request-link.js';
export { say } from './say.js';
export type { HandlerDeps, Scene } from './types.js';

export const HANDLERS: Handlers = {
  say,
  sayMenu: say,
  sayButtons: say,
  sayBill: say,
  sayPaymentChannels: say,
  sayPaymentSteps: say,
  sayLanguages: say,
  checkBirthDate,
  setConsent,
  setLanguage,
  openHandoff,
  requestLink,
};

/** Carries out one effect; answers the event a query's answer is, else null. */
export function perform(effect: Effect, scene: Scene, deps: HandlerDeps): Promise<FlowEvent | null> {
  const handler = HANDLERS[effect.type] as Handler<Effect['type']>;
  return handler(effect, scene, deps);
}
