import { openHandoff as open } from '../../handoff/index.js';
import type { Handler } from './types.js';

/** Hands the conversation to an officer: the handoff room opens it (one at a time per sender). */
export const openHandoff: Handler<'openHandoff'> = async (effect, scene, deps) => {
  const { sender } = scene;
  await open(deps.db, {
    contactKey: sender.contact.contactKey,
    participantId: sender.participant?.id ?? null,
    reason: effect.params.reason,
  });
  return null;
};
