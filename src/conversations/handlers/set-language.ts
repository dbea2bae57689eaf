import { setContactLanguage } from '../../messages/index.js';
import { setParticipantLanguage } from '../../participants/index.js';
import type { Handler } from './types.js';

/** The sender's language: the participant's they speak for, and the number's own for whoever writes next. */
export const setLanguage: Handler<'setLanguage'> = async (effect, scene, deps) => {
  const { sender } = scene;
  const { language } = effect.params;
  if (sender.participant) {
    await setParticipantLanguage(deps.db, sender.participant.id, language);
    sender.participant.language = language;
  }
  await setContactLanguage(deps.db, sender.contact.id, language);
  sender.language = language;
  return null;
};
