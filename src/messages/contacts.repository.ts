import { eq } from 'drizzle-orm';
import { contacts, type Db, type Tx } from '../db/index.js';

// Statements on `contacts`, whoever writes to us on WhatsApp. The messages room owns the table: the row is
// made and kept current as each sender's messages are recorded (messages.repository.ts, insertInbound).

export type Contact = typeof contacts.$inferSelect;
type Queryable = Db | Tx;

export async function findContact(db: Queryable, contactKey: string): Promise<Contact | null> {
  const [contact] = await db.select().from(contacts).where(eq(contacts.contactKey, contactKey));
  return contact ?? null;
}

/** The language a sender chose (a participant's own language, kept with the participant, wins). */
export async function setContactLanguage(
  db: Queryable,
  id: number,
  language: NonNullable<Contact['language']>,
): Promise<void> {
  await db.update(contacts).set({ language }).where(eq(contacts.id, id));
}
