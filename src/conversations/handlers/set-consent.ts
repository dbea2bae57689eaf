import { changeConsent } from '../../participants/index.js';
import type { Handler } from './types.js';

/** An opt-out or opt-in from a number stops or resumes reminders to it: every participant on it now. */
export const setConsent: Handler<'setConsent'> = async (effect, scene, deps) => {
  const { sender, message } = scene;
  await changeConsent(deps.db, {
    participants: sender.holders,
    optedOut: effect.params.optedOut,
    contactKey: sender.contact.contactKey,
    source: effect.params.source,
    wording: message.text ?? message.replyId,
    wamid: message.wamid,
    now: deps.now(),
  });
  return null;
};
