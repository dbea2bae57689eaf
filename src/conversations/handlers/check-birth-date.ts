import { checkBirthDate as check } from '../../participants/index.js';
import type { Handler } from './types.js';

/**
 * Checks a typed birth date with the participants room and answers the flow. For the sender's own number a
 * match confirms its holder; with a KPJ (a link request) a match only names the candidate: a KPJ typed from
 * another number opens nothing by itself, it becomes a request to an officer (requestLink).
 */
export const checkBirthDate: Handler<'checkBirthDate'> = async (effect, scene, deps) => {
  const { sender } = scene;
  const linking = effect.params.kpj !== undefined;
  const checked = await check(deps.db, {
    sender: sender.contact,
    text: effect.params.text,
    ...(linking ? { kpj: effect.params.kpj } : {}),
    dataKey: deps.dataKey,
    now: deps.now(),
    timeZone: deps.config.businessTz,
  });
  if (checked.result === 'match' && checked.participant) {
    if (linking) sender.linkCandidate = checked.participant;
    else {
      sender.participant = checked.participant;
      sender.verified = true;
      sender.language = checked.participant.language;
    }
  }
  return {
    type: 'BIRTH_DATE_CHECKED',
    result: checked.result,
    attemptsLeft: checked.attemptsLeft,
    facts: await deps.facts(sender),
  };
};
