import { renderLinkRequestNotice } from '../../../templates/index.js';
import { openHandoff } from '../../handoff/index.js';
import { findContact } from '../../messages/index.js';
import { createLinkRequest, maskKpj, type Participant, recordLinkNotice } from '../../participants/index.js';
import { isWindowOpen, maskPhone, textMessage } from '../../whatsapp/index.js';
import type { Handler, HandlerDeps } from './types.js';

export const LINK_NOTICE_KEY = 'link.notice_registered';

/** The inbox reason of a conversation where an officer decides a link request. */
export const LINK_REQUEST_REASON = 'link_request';

/**
 * Asks an officer to let this sender speak for a participant: only for the participant whose KPJ and birth
 * date the sender has just typed (checkBirthDate named them). The handoff room opens the inbox
 * conversation where the officer decides; the participants room records the request.
 */
export const requestLink: Handler<'requestLink'> = async (effect, scene, deps) => {
  const { sender } = scene;
  const candidate = sender.linkCandidate;
  if (candidate?.kpj !== effect.params.kpj) {
    deps.log?.warn({ contact: maskPhone(sender.contact.contactKey) }, 'link request refused: no match');
    return null;
  }
  const handoffId = await openHandoff(deps.db, {
    contactKey: sender.contact.contactKey,
    participantId: sender.participant?.id ?? null,
    reason: LINK_REQUEST_REASON,
  });
  await recordRequest(deps, { contactKey: sender.contact.contactKey, participant: candidate, handoffId });
  return null;
};

/**
 * A sender nobody is registered on proved a participant's KPJ and birth date: that is a request, decided
 * by an officer in the inbox conversation `handoffId`. The participant's registered number is told at once,
 * in the participant's language (free-form inside its 24-hour window, else the notice template), so that
 * the real owner can object before anyone approves.
 */
async function recordRequest(
  deps: HandlerDeps,
  input: { contactKey: string; participant: Participant; handoffId: number | null },
): Promise<void> {
  const { participant } = input;
  const registered = participant.waId !== input.contactKey ? participant.waId : null;
  const request = await createLinkRequest(deps.db, {
    contactKey: input.contactKey,
    participantId: participant.id,
    registeredWaId: registered,
    handoffId: input.handoffId,
  });
  if (!request.created || !registered) return;

  const owner = await findContact(deps.db, registered);
  const facts = {
    name: participant.name,
    requester: maskPhone(input.contactKey),
    kpj: maskKpj(participant.kpj),
  };
  const inWindow = isWindowOpen(owner?.lastInboundAt, deps.now());
  const text = inWindow ? deps.t(participant.language, LINK_NOTICE_KEY, facts) : null;
  const body = text
    ? textMessage(registered, text)
    : renderLinkRequestNotice(registered, facts, participant.language === 'en' ? 'en' : 'id');
  const sent = await deps.outbound.enqueue({
    contactKey: registered,
    participantId: participant.id,
    body,
    priority: 'reply',
    origin: { kind: 'notice' },
    dedupeKey: `link_request:${request.id}:notice`,
    text,
    ...(body.type === 'template' ? { templateName: body.template.name } : {}),
  });
  await recordLinkNotice(deps.db, request.id, sent.messageId);
}
