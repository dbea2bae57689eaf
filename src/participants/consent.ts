import { auditLog, type Db } from '../db/index.js';
import { maskPhone } from '../whatsapp/index.js';
import { type Participant, recordConsents, setOptedOut } from './participants.repository.js';

/** A sender's opt-out or opt-in, as WhatsApp carried it. */
export interface ConsentChange {
  /** everyone it is for: each participant registered on the sender's number now (a family too) */
  participants: Participant[];
  optedOut: boolean;
  contactKey: string;
  /** how the sender said it: a keyword, a template's button, the menu */
  source: 'keyword' | 'template_button' | 'menu';
  /** the words or the button id that said it, kept in the ledger */
  wording: string | null;
  /** the message that said it, for the audit record */
  wamid: string | null;
  now: Date;
}

/**
 * Records a consent change for each participant whose state it changes, in one transaction: the state, the
 * ledger entry (source `whatsapp_<source>`) and the audit record. Answers those it changed, each updated in
 * place; none when every participant already had that state.
 */
export async function changeConsent(db: Db, change: ConsentChange): Promise<Participant[]> {
  const { optedOut, source } = change;
  const changed = change.participants.filter((p) => p.optedOut !== optedOut);
  if (changed.length === 0) return [];
  const actor = `contact:${maskPhone(change.contactKey)}`;
  await db.transaction(async (tx) => {
    await setOptedOut(
      tx,
      changed.map((p) => p.id),
      optedOut,
      change.now,
    );
    await recordConsents(
      tx,
      changed.map((p) => ({
        participantId: p.id,
        contactKey: change.contactKey,
        action: optedOut ? ('opt_out' as const) : ('opt_in' as const),
        source: `whatsapp_${source}`,
        wording: change.wording,
      })),
    );
    await tx.insert(auditLog).values(
      changed.map((p) => ({
        actor,
        action: optedOut ? 'consent.opt_out' : 'consent.opt_in',
        subject: `participant:${p.kpj}`,
        details: { source, wamid: change.wamid },
      })),
    );
  });
  for (const p of changed) p.optedOut = optedOut;
  return changed;
}
