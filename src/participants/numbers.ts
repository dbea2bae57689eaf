import { auditLog, type Db, type Tx } from '../db/index.js';
import { maskPhone } from '../whatsapp/index.js';
import {
  clearTries,
  endConfirmationsOfFormerHolders,
  endLinks,
  linkedParticipantOf,
  registeredOn,
} from './numbers.repository.js';
import { findParticipantsByWaId, type NumberMove, type Participant } from './participants.repository.js';

// A number belongs to whoever is registered on it now (README, Numbers that change owners). Operators
// recycle prepaid numbers and officers re-import participants with new ones, so nothing learnt about a
// number (who confirmed a birth date on it, who it was linked to, where its conversation stood) outlives a
// change of its holders.

/** A WhatsApp sender as the rules about numbers see it: its key, and its phone number when WhatsApp shows one. */
export interface SenderNumber {
  contactKey: string;
  waId: string | null;
}

/**
 * Who a sender speaks for now, oldest registration first: every participant registered on its number (a
 * family may share one phone); for a number nobody is registered on, the participant an officer linked it
 * to, if any.
 */
export async function holdersOf(db: Db | Tx, sender: SenderNumber): Promise<Participant[]> {
  if (sender.waId) {
    const registered = await findParticipantsByWaId(db, sender.waId);
    if (registered.length > 0) return registered;
  }
  const linked = await linkedParticipantOf(db, sender.contactKey);
  return linked ? [linked] : [];
}

/** Names a set of holders: equal keys mean the same people hold the number. */
export const holdersKey = (holders: readonly Pick<Participant, 'id'>[]): string =>
  holders
    .map((p) => p.id)
    .sort((a, b) => a - b)
    .join(',');

export type { NumberMove };

/** What an import changed about numbers. */
export interface NumberChanges {
  moved: NumberMove[];
  /** numbers it registered someone on that an officer had linked to a participant */
  linked: string[];
}

/**
 * Ends what belonged to the former holders of the numbers an import changed, in the import's transaction.
 * A number someone left (for another number): confirmations of anyone no longer on it, its failed tries
 * and locks were the old pair's and end, and the move is written in the audit log. A number someone joined
 * keeps its holders' confirmations (a family member added). Officers' links end for every participant
 * whose number changed and on every number now registered: the register has spoken. Conversation state
 * (in the state store) is keyed to the holders and ends by itself (see holdersKey).
 */
export async function releaseNumbers(tx: Tx, changes: NumberChanges, actor: string): Promise<void> {
  const leftFrom = new Map<string, string[]>();
  const arrivedAt = new Map<string, Set<number>>();
  for (const c of changes.moved) {
    arrivedAt.set(c.to, (arrivedAt.get(c.to) ?? new Set()).add(c.participantId));
    leftFrom.set(c.from, [...(leftFrom.get(c.from) ?? []), c.kpj]);
  }
  const left = [...leftFrom.keys()];
  if (left.length > 0) {
    await auditMoves(tx, leftFrom, arrivedAt, actor);
    // A confirmation stays only with a participant still registered on its number.
    await endConfirmationsOfFormerHolders(tx, left);
    await clearTries(tx, left);
  }
  if (changes.moved.length === 0 && changes.linked.length === 0) return;
  const numbers = [...new Set([...left, ...arrivedAt.keys(), ...changes.linked])];
  await endLinks(
    tx,
    numbers,
    changes.moved.map((c) => c.participantId),
  );
}

/** One audit record for each number someone left: its holders before and after the import, by KPJ. */
async function auditMoves(
  tx: Tx,
  leftFrom: ReadonlyMap<string, string[]>,
  arrivedAt: ReadonlyMap<string, ReadonlySet<number>>,
  actor: string,
): Promise<void> {
  const holders = await registeredOn(tx, [...leftFrom.keys()]);
  const after = new Map<string, typeof holders>();
  for (const r of holders) after.set(r.waId, [...(after.get(r.waId) ?? []), r]);
  const audits = [...leftFrom].map(([number, leavers]) => {
    const now = after.get(number) ?? [];
    const arrived = arrivedAt.get(number) ?? new Set<number>();
    // before the import: the holders now, minus who arrived, plus who left
    const stayed = now.filter((h) => !h.fresh && !arrived.has(h.id)).map((h) => h.kpj);
    return {
      actor,
      action: 'number.moved',
      subject: `number:${maskPhone(number)}`,
      details: { from: [...stayed, ...leavers].sort(), to: now.map((h) => h.kpj).sort() },
    };
  });
  await tx.insert(auditLog).values(audits);
}
