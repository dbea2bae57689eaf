import { eq, sql } from 'drizzle-orm';
import { auditLog, type Db, verifications } from '../db/index.js';
import {
  birthDateMatches,
  findParticipantByKpj,
  findParticipantsByWaId,
  type Participant,
  parseBirthDate,
} from '../participants/index.js';
import { maskPhone } from '../whatsapp/index.js';

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

const after = (now: Date, ms: number) => new Date(now.getTime() + ms);
const isFuture = (t: Date | null | undefined, now: Date): t is Date => Boolean(t && t > now);

/**
 * Checks a typed birth date for one sender. Without a KPJ it is the bill confirmation for the registered
 * number (every participant registered on that number is a candidate: families share phones); with a KPJ
 * it is the linking of an unregistered WhatsApp account. Three wrong answers lock that purpose for a day.
 * A badly written date is not a wrong answer: it costs no attempt.
 */
export async function checkBirthDate(
  db: Db,
  input: { contactKey: string; waId: string | null; text: string; kpj?: string; dataKey: string; now: Date },
): Promise<CheckResult> {
  const { contactKey, now } = input;
  const linking = input.kpj !== undefined;
  const current = await loadVerification(db, contactKey);
  const attempts = (linking ? current?.linkFailedAttempts : current?.failedAttempts) ?? 0;
  if (isFuture(linking ? current?.linkLockedUntil : current?.lockedUntil, now)) {
    return { result: 'locked', attemptsLeft: 0 };
  }
  if (!parseBirthDate(input.text, now)) return { result: 'invalid', attemptsLeft: MAX_ATTEMPTS - attempts };

  const candidates = linking
    ? [await findParticipantByKpj(db, input.kpj!)].filter((p): p is Participant => p !== null)
    : input.waId
      ? await findParticipantsByWaId(db, input.waId)
      : [];
  const matched = candidates.find((p) => birthDateMatches(input.text, p.birthDateHash, input.dataKey));
  const actor = `contact:${maskPhone(contactKey)}`;

  if (matched) {
    await db
      .insert(verifications)
      .values({
        contactKey,
        participantId: matched.id,
        verifiedUntil: after(now, CONFIRMATION_DAYS * 86_400_000),
        failedAttempts: 0,
        linkFailedAttempts: 0,
      })
      .onConflictDoUpdate({
        target: verifications.contactKey,
        set: {
          participantId: matched.id,
          verifiedUntil: after(now, CONFIRMATION_DAYS * 86_400_000),
          ...(linking ? { linkFailedAttempts: 0 } : { failedAttempts: 0 }),
          updatedAt: now,
        },
      });
    await db.insert(auditLog).values({
      actor,
      action: linking ? 'verification.link_confirmed' : 'verification.confirmed',
      subject: `participant:${matched.kpj}`,
      details: { days: CONFIRMATION_DAYS },
    });
    return { result: 'match', attemptsLeft: MAX_ATTEMPTS, participant: matched };
  }

  const failed = attempts + 1;
  const locks = failed >= MAX_ATTEMPTS;
  const lockedUntil = locks ? after(now, LOCK_HOURS * 3_600_000) : null;
  const counters = linking
    ? { linkFailedAttempts: locks ? 0 : failed, ...(locks ? { linkLockedUntil: lockedUntil } : {}) }
    : { failedAttempts: locks ? 0 : failed, ...(locks ? { lockedUntil } : {}) };
  await db
    .insert(verifications)
    .values({ contactKey, ...counters })
    .onConflictDoUpdate({ target: verifications.contactKey, set: { ...counters, updatedAt: sql`now()` } });
  await db.insert(auditLog).values({
    actor,
    action: linking ? 'verification.link_failed' : 'verification.failed',
    subject: null,
    details: { attempt: failed, locked: locks },
  });
  if (locks) return { result: 'locked', attemptsLeft: 0 };
  const unknown = linking && candidates.length === 0;
  return { result: unknown ? 'unknown-kpj' : 'mismatch', attemptsLeft: MAX_ATTEMPTS - failed };
}
