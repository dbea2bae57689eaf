import type { Say } from '../../../flows/index.js';
import { getBalance } from '../../participants/index.js';
import type { OutboundBody } from '../../whatsapp/index.js';
import { renderEffect } from '../render.js';
import type { HandlerDeps, Scene } from './types.js';

/** Says something to the sender, in their language: one or more messages, rendered from locale keys. */
export async function say(effect: Say, scene: Scene, deps: HandlerDeps): Promise<null> {
  const { sender } = scene;
  const needsBalance = effect.type === 'sayBill' || effect.type === 'sayPaymentSteps';
  // The last guard before money leaves: only a registered, birth-date-confirmed sender sees a bill.
  if (needsBalance && (!sender.participant || !sender.verified)) {
    deps.log?.error({ effect: effect.type }, 'refused to disclose a bill to an unconfirmed sender');
    return null;
  }
  const p = sender.participant;
  const bodies = renderEffect(effect, {
    to: sender.to,
    language: sender.language,
    ...(p ? { name: p.name, kpj: p.kpj } : {}),
    ...(needsBalance && p ? { balance: await getBalance(deps.db, p.id) } : {}),
    timeZone: deps.config.businessTz,
    t: deps.t,
  });
  for (const body of bodies) await reply(body, scene, deps);
  return null;
}

/** Queues one reply to the message being answered, on the one outbound queue. */
async function reply(body: OutboundBody, scene: Scene, deps: HandlerDeps): Promise<void> {
  const { sender, message } = scene;
  await deps.outbound.enqueue({
    contactKey: sender.contact.contactKey,
    participantId: sender.participant?.id ?? null,
    body,
    priority: 'reply',
    origin: { kind: 'reply' },
    // keyed on the inbound message: handling it again after a crash cannot send a reply twice
    dedupeKey: `reply:${message.wamid}:${scene.replies.n++}`,
    text: textOf(body),
  });
}

/** The words a person reads, kept on the message row for the history and the agent's view. */
function textOf(body: object): string | null {
  const b = body as { text?: { body?: string }; interactive?: { body?: { text?: string } } };
  return b.text?.body ?? b.interactive?.body?.text ?? null;
}
