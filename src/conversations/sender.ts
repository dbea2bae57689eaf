import type { Facts, Language } from '../../flows/index.js';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import { type Contact, findContact } from '../messages/index.js';
import { confirmedHolder, holdersOf, loadVerification, type Participant } from '../participants/index.js';
import { isOfficeOpen, nextOfficeOpening } from './office-hours.js';

/** Everything the engine knows about one sender while it handles one message; handlers keep it current. */
export interface Sender {
  contact: Contact;
  /** everyone the sender's number belongs to now: registered on it, or linked to it by an officer */
  holders: Participant[];
  /** the participant this sender speaks for: the one whose birth date it confirmed, else the first holder */
  participant: Participant | null;
  verified: boolean;
  /** the participant whose KPJ and birth date the sender just typed to ask for a link */
  linkCandidate: Participant | null;
  language: Language;
  to: string;
}

export interface SenderDeps {
  db: Db;
  config: Pick<Config, 'officeHours' | 'businessTz'>;
  now: () => Date;
}

/** The sender as the register and its confirmations say now; null for a sender never recorded. */
export async function loadSender(deps: SenderDeps, contactKey: string): Promise<Sender | null> {
  const contact = await findContact(deps.db, contactKey);
  if (!contact) return null;
  // the number's holders now, not whoever held it when the confirmation was made
  const holders = await holdersOf(deps.db, contact);
  const confirmed = confirmedHolder(await loadVerification(deps.db, contactKey), holders, deps.now());
  const participant = confirmed ?? holders[0] ?? null;
  return {
    contact,
    holders,
    participant,
    verified: confirmed !== null,
    linkCandidate: null,
    language: participant?.language ?? contact.language ?? 'id',
    to: contact.waId ?? contact.userId ?? contactKey,
  };
}

/** What the flows are told about the sender, now. */
export async function factsOf(deps: SenderDeps, sender: Sender): Promise<Facts> {
  const at = deps.now();
  const verification = await loadVerification(deps.db, sender.contact.contactKey);
  const future = (t: Date | null | undefined) => (t && t > at ? t.toISOString() : null);
  const { officeHours, businessTz } = deps.config;
  const open = isOfficeOpen(at, officeHours, businessTz);
  const registered = sender.holders.length > 0;
  return {
    now: at.toISOString(),
    registered,
    // a WhatsApp account known only by its BSUID, that no officer has linked to a participant
    bsuidOnly: !sender.contact.waId && !registered,
    language: sender.language,
    category: sender.participant?.category ?? null,
    // reminders reach this number while any of its holders still takes them
    optedOut: registered && sender.holders.every((p) => p.optedOut),
    verified: sender.verified,
    billLockedUntil: future(verification?.lockedUntil),
    linkLockedUntil: future(verification?.linkLockedUntil),
    officeOpen: open,
    nextOfficeOpen: open ? null : nextOfficeOpening(at, officeHours, businessTz).toISOString(),
  };
}
