import { sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import {
  bills,
  campaignRecipients,
  campaigns,
  consents,
  contacts,
  handoffs,
  messages,
  participants,
  payments,
} from '../../db/index.js';

// The aliases the campaigns room's statements use: `${r.status}` renders "r"."status", and
// `from ${campaignRecipients} ${r}` names the table once. A rename in schema.ts reaches every statement.

export const r = alias(campaignRecipients, 'r');
export const c = alias(campaigns, 'c');
export const p = alias(participants, 'p');
export const b = alias(bills, 'b');
export const m = alias(messages, 'm');
export const h = alias(handoffs, 'h');
export const y = alias(payments, 'y');
export const k = alias(consents, 'k');
export const i = alias(messages, 'i');
export const ct = alias(contacts, 'ct');

/** A recipient's message: the one whose origin names the recipient and its current attempt. */
export const currentMessage = sql`${m.campaignRecipientId} = ${r.id} and ${m.campaignAttempt} = ${r.attempts}`;

/** Counts and ids come back from the drivers as numbers or numeric strings. */
export const num = (v: string | number | null | undefined): number => Number(v ?? 0);
