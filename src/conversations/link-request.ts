import { eq } from 'drizzle-orm';
import { renderLinkRequestNotice } from '../../templates/index.js';
import { contacts, type Db } from '../db/index.js';
import type { Translator } from '../i18n/index.js';
import type { Outbound } from '../outbound/index.js';
import { createLinkRequest, maskKpj, type Participant, recordLinkNotice } from '../participants/index.js';
import { isWindowOpen, maskPhone, textMessage } from '../whatsapp/index.js';

export const LINK_NOTICE_KEY = 'link.notice_registered';

export interface LinkRequestDeps {
  db: Db;
  outbound: Outbound;
  t: Translator;
  now: () => Date;
}

/**
 * A sender nobody is registered on proved a participant's KPJ and birth date: that is a request, decided
 * by an officer in the inbox conversation `handoffId`. The participant's registered number is told at once,
 * in the participant's language (free-form inside its 24-hour window, else the notice template), so that
 * the real owner can object before anyone approves.
 */
export async function requestLink(
  deps: LinkRequestDeps,
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

  const [owner] = await deps.db
    .select({ lastInboundAt: contacts.lastInboundAt })
    .from(contacts)
    .where(eq(contacts.contactKey, registered));
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
    dedupeKey: `link_request:${request.id}:notice`,
    text,
    ...(body.type === 'template' ? { templateName: body.template.name } : {}),
  });
  await recordLinkNotice(deps.db, request.id, sent.messageId);
}
