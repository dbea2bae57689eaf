import { eq, sql } from 'drizzle-orm';
import { contactLinks, type Db, participants, queryRows, type Tx, verifications } from '../db/index.js';
import { idsParam, type Participant, textsParam } from './participants.repository.js';

// The statements behind who a number belongs to (numbers.ts): officers' links (`contact_links`) and what
// a number's confirmations and tries hold (`verifications`) when its holders change.

type Queryable = Db | Tx;

/** The participant an officer linked this sender to, if any. */
export async function linkedParticipantOf(db: Queryable, contactKey: string): Promise<Participant | null> {
  const [linked] = await db
    .select({ participant: participants })
    .from(contactLinks)
    .innerJoin(participants, eq(participants.id, contactLinks.participantId))
    .where(eq(contactLinks.contactKey, contactKey));
  return linked?.participant ?? null;
}

/** Ends the confirmations made on these numbers, except those of a participant still registered on one. */
export async function endConfirmationsOfFormerHolders(tx: Tx, numbers: string[]): Promise<void> {
  await tx.execute(sql`
    delete from ${verifications}
    where ${verifications.contactKey} in ${textsParam(numbers)}
      and (${verifications.participantId} is null or not exists (
        select 1 from ${participants}
        where ${participants.id} = ${verifications.participantId}
          and ${participants.waId} = ${verifications.contactKey}))`);
}

/** Clears the failed tries and locks, of bill confirmation and of linking, on these numbers. */
export async function clearTries(tx: Tx, numbers: string[]): Promise<void> {
  await tx
    .update(verifications)
    .set({
      failedAttempts: 0,
      lockedUntil: null,
      linkFailedAttempts: 0,
      linkLockedUntil: null,
      updatedAt: sql`now()`,
    })
    .where(sql`${verifications.contactKey} in ${textsParam(numbers)}`);
}

/** Ends officers' links on these numbers and those to these participants. */
export async function endLinks(tx: Tx, numbers: string[], participantIds: number[]): Promise<void> {
  await tx.execute(sql`
    delete from ${contactLinks}
    where ${contactLinks.contactKey} in ${textsParam(numbers)}
      or ${contactLinks.participantId} in ${idsParam(participantIds)}`);
}

/** Who is registered on these numbers now; `fresh`: registered by this transaction (now() is its start). */
export async function registeredOn(
  tx: Tx,
  numbers: string[],
): Promise<(Pick<Participant, 'waId' | 'id' | 'kpj'> & { fresh: boolean })[]> {
  return queryRows(
    tx,
    sql`select ${participants.waId} as "waId", ${participants.id} as id, ${participants.kpj} as kpj,
          ${participants.createdAt} = now() as fresh
        from ${participants}
        where ${participants.waId} in ${textsParam(numbers)}`,
  );
}
