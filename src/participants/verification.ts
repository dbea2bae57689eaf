import { eq, sql } from 'drizzle-orm';
import { auditLog, type Db, kpjLinkAttempts, type Tx, verifications } from '../db/index.js';
import { localDate } from '../local-time.js';
import { maskPhone } from '../whatsapp/index.js';
import { birthDateMatches, parseBirthDate } from './birth-date.js';
import { holdersOf, type SenderNumber } from './numbers.js';
import { findParticipantByKpj, type Participant } from './participants.repository.js';

export const CONFIRMATION_DAYS = 30;
export const MAX_ATTEMPTS = 3;
export const LOCK_HOURS = 24;

export type Verification = typeof verifications.$inferSelect;

export type CheckResult = {
  result: 'match' | 'mismatch' | 'invalid' | 'locked' | 'unknown-kpj';
  attemptsLeft: number;
  /** the participant whose birth date matched */
  participant?: Participant;
};

export async function loadVerification(db: Db, contactKey: string): Promise<Verification | null> {
  const rows = await db.select().from(verifications).where(eq(verifications.contactKey, contactKey));
  return rows[0] ?? null;
}

/**
 * The participant a sender has confirmed the birth date of, while that confirmation holds: within its 30
 * days, and only while that participant still holds the sender's number (a number that changed owner
 * does not carry the old owner's confirmation to the new one).
 */
export function confirmedHolder(
  verification: Verification | null,
  holders: readonly Participant[],
  now: Date,
): Participant | null {
  if (!verification?.verifiedUntil || verification.verifiedUntil <= now) return null;
  return holders.find((p) => p.id === verification.participantId) ?? null;
}

const after = (now: Date, ms: number) => new Date(now.getTime() + ms);

/** Records that this sender confirmed this participant now: it holds for CONFIRMATION_DAYS. */
export async function confirm(
  db: Db | Tx,
  contactKey: string,
  participantId: number,
  now: Date,
): Promise<void> {
  const confirmation = {
    participantId,
    verifiedUntil: after(now, CONFIRMATION_DAYS * 86_400_000),
    failedAttempts: 0,
  };
  await db
    .insert(verifications)
    .values({ contactKey, ...confirmation })
    .onConflictDoUpdate({ target: verifications.contactKey, set: { ...confirmation, updatedAt: now } });
}
const isFuture = (t: Date | null | undefined, now: Date): t is Date => Boolean(t && t > now);

export interface BirthDateInput {
  sender: SenderNumber;
  text: string;
  /** linking: the KPJ the sender typed; absent: the bill confirmation for the sender's own number */
  kpj?: string;
  dataKey: string;
  now: Date;
  /** BUSINESS_TZ: a birth date after today there is not a birth date */
  timeZone: string;
}

/**
 * Checks a typed birth date for one sender. Without a KPJ it confirms the holder of the sender's number
 * (every participant on it is a candidate: families share phones; a number an officer linked counts as
 * the linked participant's) for 30 days. With a KPJ it is a request to link an unregistered WhatsApp
 * account: a match confirms nothing by itself (KPJ and birth date are printed on cards others hold), the
 * caller asks an officer. Three wrong answers lock that purpose for a day: per sender, and for linking also
 * per KPJ. A badly written date is not a wrong answer: it costs no attempt.
 */
export async function checkBirthDate(db: Db, input: BirthDateInput): Promise<CheckResult> {
  return input.kpj === undefined ? checkConfirmation(db, input) : checkLink(db, { ...input, kpj: input.kpj });
}

async function checkConfirmation(db: Db, input: BirthDateInput): Promise<CheckResult> {
  const { sender, now } = input;
  const current = await loadVerification(db, sender.contactKey);
  const attempts = current?.failedAttempts ?? 0;
  if (isFuture(current?.lockedUntil, now)) return { result: 'locked', attemptsLeft: 0 };
  if (!parseBirthDate(input.text, localDate(now, input.timeZone)))
    return { result: 'invalid', attemptsLeft: MAX_ATTEMPTS - attempts };

  const holders = await holdersOf(db, sender);
  const matched = holders.find((p) => birthDateMatches(input.text, p.birthDateHash, input.dataKey));
  const actor = `contact:${maskPhone(sender.contactKey)}`;
  if (matched) {
    await confirm(db, sender.contactKey, matched.id, now);
    await db.insert(auditLog).values({
      actor,
      action: 'verification.confirmed',
      subject: `participant:${matched.kpj}`,
      details: { days: CONFIRMATION_DAYS },
    });
    return { result: 'match', attemptsLeft: MAX_ATTEMPTS, participant: matched };
  }

  const failed = attempts + 1;
  const locks = failed >= MAX_ATTEMPTS;
  const counters = {
    failedAttempts: locks ? 0 : failed,
    ...(locks ? { lockedUntil: after(now, LOCK_HOURS * 3_600_000) } : {}),
  };
  await db
    .insert(verifications)
    .values({ contactKey: sender.contactKey, ...counters })
    .onConflictDoUpdate({ target: verifications.contactKey, set: { ...counters, updatedAt: sql`now()` } });
  await db.insert(auditLog).values({
    actor,
    action: 'verification.failed',
    subject: null,
    details: { attempt: failed, locked: locks },
  });
  return locks
    ? { result: 'locked', attemptsLeft: 0 }
    : { result: 'mismatch', attemptsLeft: MAX_ATTEMPTS - failed };
}

async function checkLink(db: Db, input: BirthDateInput & { kpj: string }): Promise<CheckResult> {
  const { sender, now, kpj } = input;
  const current = await loadVerification(db, sender.contactKey);
  const [perKpj] = await db.select().from(kpjLinkAttempts).where(eq(kpjLinkAttempts.kpj, kpj));
  if (isFuture(current?.linkLockedUntil, now) || isFuture(perKpj?.lockedUntil, now)) {
    return { result: 'locked', attemptsLeft: 0 };
  }
  // the sender's tries and the KPJ's: whichever has fewer left decides
  const attempts = Math.max(current?.linkFailedAttempts ?? 0, perKpj?.failedAttempts ?? 0);
  if (!parseBirthDate(input.text, localDate(now, input.timeZone)))
    return { result: 'invalid', attemptsLeft: MAX_ATTEMPTS - attempts };

  const participant = await findParticipantByKpj(db, kpj);
  const actor = `contact:${maskPhone(sender.contactKey)}`;
  if (participant && birthDateMatches(input.text, participant.birthDateHash, input.dataKey)) {
    await db
      .insert(verifications)
      .values({ contactKey: sender.contactKey, linkFailedAttempts: 0 })
      .onConflictDoUpdate({
        target: verifications.contactKey,
        set: { linkFailedAttempts: 0, updatedAt: sql`now()` },
      });
    await db.delete(kpjLinkAttempts).where(eq(kpjLinkAttempts.kpj, kpj));
    await db.insert(auditLog).values({
      actor,
      action: 'verification.link_matched',
      subject: `participant:${participant.kpj}`,
    });
    return { result: 'match', attemptsLeft: MAX_ATTEMPTS, participant };
  }

  const senderFailed = (current?.linkFailedAttempts ?? 0) + 1;
  const kpjFailed = (perKpj?.failedAttempts ?? 0) + 1;
  const locks = senderFailed >= MAX_ATTEMPTS || kpjFailed >= MAX_ATTEMPTS;
  const lockedUntil = after(now, LOCK_HOURS * 3_600_000);
  // a lock starts both counts afresh, as the bill confirmation's does
  const senderCounters = locks
    ? { linkFailedAttempts: 0, linkLockedUntil: lockedUntil }
    : { linkFailedAttempts: senderFailed };
  const kpjCounters = locks ? { failedAttempts: 0, lockedUntil } : { failedAttempts: kpjFailed };
  await db
    .insert(verifications)
    .values({ contactKey: sender.contactKey, ...senderCounters })
    .onConflictDoUpdate({
      target: verifications.contactKey,
      set: { ...senderCounters, updatedAt: sql`now()` },
    });
  await db
    .insert(kpjLinkAttempts)
    .values({ kpj, ...kpjCounters })
    .onConflictDoUpdate({ target: kpjLinkAttempts.kpj, set: { ...kpjCounters, updatedAt: sql`now()` } });
  await db.insert(auditLog).values({
    actor,
    action: 'verification.link_failed',
    subject: null,
    details: { attempt: senderFailed, kpjAttempt: kpjFailed, locked: locks },
  });
  if (locks) return { result: 'locked', attemptsLeft: 0 };
  const left = MAX_ATTEMPTS - Math.max(senderFailed, kpjFailed);
  return { result: participant ? 'mismatch' : 'unknown-kpj', attemptsLeft: left };
}
