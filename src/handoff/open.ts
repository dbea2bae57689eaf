import type { Db } from '../db/index.js';
import { maskPhone } from '../whatsapp/index.js';
import { auditHandoff, findOpenHandoff, insertOpenHandoff } from './handoffs.repository.js';

/**
 * Opens the sender's inbox conversation, one at a time: answers its id, new or already open (null only if
 * it was resolved between the two statements).
 */
export async function openHandoff(
  db: Db,
  input: { contactKey: string; participantId: number | null; reason: string },
): Promise<number | null> {
  const id = await insertOpenHandoff(db, input);
  if (id === null) return (await findOpenHandoff(db, input.contactKey))?.id ?? null;
  await auditHandoff(db, [
    {
      actor: `contact:${maskPhone(input.contactKey)}`,
      action: 'handoff.open',
      id,
      details: { reason: input.reason },
    },
  ]);
  return id;
}
