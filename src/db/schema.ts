import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// The one description of the tables. Migrations in migrations/ are generated from it by drizzle-kit and
// serve both postgres-js and PGlite.

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const participants = pgTable(
  'participants',
  {
    id: serial('id').primaryKey(),
    kpj: text('kpj').notNull(),
    name: text('name').notNull(),
    /** the wa_id form of the registered phone: 628… */
    waId: text('wa_id').notNull(),
    /** HMAC-SHA256 of the birth date (YYYY-MM-DD) keyed by DATA_KEY; the date itself is never stored */
    birthDateHash: text('birth_date_hash').notNull(),
    category: text('category', { enum: ['BPU', 'PU'] }).notNull(),
    language: text('language', { enum: ['id', 'en', 'jv'] })
      .notNull()
      .default('id'),
    /** current consent state, kept in the same transaction as each consents row (the ledger is the proof) */
    optedOut: boolean('opted_out').notNull().default(false),
    /** set when the Cloud API reports the number is not on WhatsApp (131026) */
    whatsappUnreachableAt: timestamp('whatsapp_unreachable_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('participants_kpj_key').on(t.kpj),
    index('participants_wa_id_idx').on(t.waId),
    check('participants_kpj_format', sql`${t.kpj} ~ '^[0-9]{11}$'`),
  ],
);

/**
 * Whoever writes to us on WhatsApp, registered or not, keyed by wa_id or, for a sender known only by a
 * business-scoped user id, by that BSUID. Holds the 24-hour customer-service window. Who a contact speaks
 * for is not kept here: it is whoever is registered on its number now (participants.wa_id), or the
 * participant an officer linked it to (contact_links).
 */
export const contacts = pgTable(
  'contacts',
  {
    id: serial('id').primaryKey(),
    /** wa_id ?? user_id: the key every message and handoff uses */
    contactKey: text('contact_key').notNull(),
    waId: text('wa_id'),
    userId: text('user_id'),
    profileName: text('profile_name'),
    /** the language an unregistered sender chose; a participant's own language wins */
    language: text('language', { enum: ['id', 'en', 'jv'] }),
    lastInboundAt: timestamp('last_inbound_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('contacts_contact_key_key').on(t.contactKey)],
);

/**
 * Birth-date confirmations and failed tries, per sender (a confirmation lasts 30 days for that
 * number and only while that participant is still registered on it; three wrong answers lock bill
 * disclosure for that number for a day). Linking a WhatsApp account to a KPJ has its own count and lock,
 * kept per sender here and per KPJ in kpj_link_attempts.
 */
export const verifications = pgTable('verifications', {
  contactKey: text('contact_key').primaryKey(),
  participantId: integer('participant_id').references(() => participants.id),
  verifiedUntil: timestamp('verified_until', { withTimezone: true }),
  failedAttempts: integer('failed_attempts').notNull().default(0),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  linkFailedAttempts: integer('link_failed_attempts').notNull().default(0),
  linkLockedUntil: timestamp('link_locked_until', { withTimezone: true }),
  updatedAt: updatedAt(),
});

/**
 * Failed tries to link a WhatsApp account to a KPJ, per KPJ typed (known or not, so that a lock says nothing
 * about whether the KPJ exists): KPJ and birth date are printed on cards that employers and families hold,
 * and a number of phones must not multiply the three tries.
 */
export const kpjLinkAttempts = pgTable('kpj_link_attempts', {
  kpj: text('kpj').primaryKey(),
  failedAttempts: integer('failed_attempts').notNull().default(0),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  updatedAt: updatedAt(),
});

export const LINK_REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'closed'] as const;
export type LinkRequestStatus = (typeof LINK_REQUEST_STATUSES)[number];

/**
 * A sender who is not registered asked to speak for a participant, and typed that participant's KPJ and
 * birth date. Nothing is disclosed until an officer approves it in the inbox; the participant's registered
 * number is told that another number asked.
 */
export const linkRequests = pgTable(
  'link_requests',
  {
    id: serial('id').primaryKey(),
    contactKey: text('contact_key').notNull(),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participants.id),
    /** the participant's registered number when the request was made (the one told of it) */
    registeredWaId: text('registered_wa_id'),
    /** the inbox conversation where an officer decides */
    handoffId: integer('handoff_id').references(() => handoffs.id),
    /** the notice to the registered number, to show the officer whether it arrived */
    noticeMessageId: bigint('notice_message_id', { mode: 'number' }).references(() => messages.id),
    status: text('status', { enum: LINK_REQUEST_STATUSES }).notNull().default('pending'),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    // one open request per sender
    uniqueIndex('link_requests_pending_contact_key').on(t.contactKey).where(sql`${t.status} = 'pending'`),
    index('link_requests_handoff_idx').on(t.handoffId),
  ],
);

/**
 * A sender an officer approved to speak for a participant (a link request), for a number that nobody is
 * registered on: a changed phone not yet in the branch's data, or a WhatsApp account known only by its
 * BSUID. It ends when an import changes that participant's number or registers someone on this one.
 */
export const contactLinks = pgTable(
  'contact_links',
  {
    contactKey: text('contact_key').primaryKey(),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participants.id),
    linkRequestId: integer('link_request_id').references(() => linkRequests.id),
    approvedBy: text('approved_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('contact_links_participant_idx').on(t.participantId)],
);

export const bills = pgTable(
  'bills',
  {
    id: serial('id').primaryKey(),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participants.id),
    /** YYYY-MM */
    period: text('period').notNull(),
    /** integer rupiah */
    amount: bigint('amount', { mode: 'number' }).notNull(),
    dueDate: date('due_date', { mode: 'string' }).notNull(),
    paymentCode: text('payment_code').notNull(),
    /** when payments first covered the amount; null while unpaid */
    paidAt: timestamp('paid_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('bills_participant_period_key').on(t.participantId, t.period),
    index('bills_unpaid_due_idx').on(t.dueDate).where(sql`${t.paidAt} is null`),
    check('bills_period_format', sql`${t.period} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`),
    check('bills_amount_positive', sql`${t.amount} > 0`),
  ],
);

export const payments = pgTable(
  'payments',
  {
    id: serial('id').primaryKey(),
    reference: text('reference').notNull(),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participants.id),
    billId: integer('bill_id').references(() => bills.id),
    period: text('period').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    paidAt: timestamp('paid_at', { withTimezone: true }).notNull(),
    channel: text('channel').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('payments_reference_key').on(t.reference),
    index('payments_participant_idx').on(t.participantId),
    index('payments_bill_idx').on(t.billId),
  ],
);

export const MESSAGE_STATUSES = [
  'received',
  'queued',
  'sending',
  'accepted',
  'sent',
  'delivered',
  'read',
  'failed',
  'skipped',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * Who asked for an outbound message: a campaign's reminder, the bot's reply to an inbound message, an
 * officer's words in the inbox, or a notice the service sends of its own accord (a return to the bot, a
 * link request, the re-engagement template). The sender asks the origin's guard and tells it the outcome.
 */
export const ORIGIN_KINDS = ['campaign', 'reply', 'agent', 'notice'] as const;
export type OriginKind = (typeof ORIGIN_KINDS)[number];

/** Both directions. Outbound rows exist from the moment a send is queued, so nothing is lost. */
export const messages = pgTable(
  'messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    contactKey: text('contact_key').notNull(),
    participantId: integer('participant_id').references(() => participants.id),
    /** null for an outbound message until the Cloud API accepts it */
    wamid: text('wamid'),
    /** text | interactive | template | button | image | … (unknown inbound types kept as given) */
    type: text('type').notNull(),
    /** the text a person reads: inbound text or caption, outbound text or interactive body */
    text: text('text'),
    /** inbound: quick-reply payload or interactive reply id */
    replyId: text('reply_id'),
    templateName: text('template_name'),
    /** outbound: the Cloud API request body; inbound: the raw message object */
    payload: jsonb('payload').notNull(),
    status: text('status', { enum: MESSAGE_STATUSES }).notNull(),
    /** every status seen, in arrival order: [{status, at}] */
    statusHistory: jsonb('status_history')
      .$type<{ status: string; at: string }[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    errorCode: integer('error_code'),
    errorTitle: text('error_title'),
    pricingCategory: text('pricing_category'),
    pricingType: text('pricing_type'),
    /** outbound: 'reply' (a conversation) or 'blast' (a campaign) */
    priority: text('priority', { enum: ['reply', 'blast'] }),
    /** outbound: who asked for it (ORIGIN_KINDS); null for inbound */
    originKind: text('origin_kind', { enum: ORIGIN_KINDS }),
    /** origin 'campaign': the reminder this message is an attempt of */
    campaignRecipientId: bigint('campaign_recipient_id', { mode: 'number' }).references(
      (): AnyPgColumn => campaignRecipients.id,
    ),
    /** origin 'campaign': which attempt of the reminder (its attempts when it was queued) */
    campaignAttempt: integer('campaign_attempt'),
    attempts: integer('attempts').notNull().default(0),
    /** outbound: a caller's key that makes enqueueing idempotent */
    dedupeKey: text('dedupe_key'),
    contextWamid: text('context_wamid'),
    /** inbound: when the conversation engine finished with it; null while it waits its turn */
    handledAt: timestamp('handled_at', { withTimezone: true }),
    /** inbound: the Cloud API timestamp; outbound: when it was queued */
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    readAt: timestamp('read_at', { withTimezone: true }),
    failedAt: timestamp('failed_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('messages_wamid_key').on(t.wamid),
    uniqueIndex('messages_dedupe_key').on(t.dedupeKey),
    index('messages_contact_idx').on(t.contactKey, t.id),
    index('messages_participant_idx').on(t.participantId, t.id),
    index('messages_unhandled_idx')
      .on(t.contactKey, t.occurredAt, t.id)
      .where(sql`${t.direction} = 'in' and ${t.handledAt} is null`),
    // one message per attempt of a reminder; a recipient's message is the one of its current attempt
    uniqueIndex('messages_campaign_origin_key')
      .on(t.campaignRecipientId, t.campaignAttempt)
      .where(sql`${t.campaignRecipientId} is not null`),
    check(
      'messages_campaign_origin',
      sql`case when ${t.originKind} = 'campaign'
        then ${t.campaignRecipientId} is not null and ${t.campaignAttempt} is not null
        else ${t.campaignRecipientId} is null and ${t.campaignAttempt} is null end`,
    ),
    // the messaging-limit budget (WHATSAPP_TIER) reads the last day's accepted templates on every claim
    index('messages_out_template_idx')
      .on(t.occurredAt)
      .where(sql`${t.direction} = 'out' and ${t.type} = 'template' and ${t.wamid} is not null`),
  ],
);

/**
 * Every status webhook, once per (wamid, status): the durable record answered before 200, and the
 * source for a message whose wamid was stored after its first status arrived.
 */
export const messageStatuses = pgTable(
  'message_statuses',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    wamid: text('wamid').notNull(),
    status: text('status').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    recipient: text('recipient').notNull(),
    errorCode: integer('error_code'),
    errorTitle: text('error_title'),
    pricingCategory: text('pricing_category'),
    pricingType: text('pricing_type'),
    callbackData: text('callback_data'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('message_statuses_wamid_status_key').on(t.wamid, t.status)],
);

export const handoffs = pgTable(
  'handoffs',
  {
    id: serial('id').primaryKey(),
    contactKey: text('contact_key').notNull(),
    participantId: integer('participant_id').references(() => participants.id),
    status: text('status', { enum: ['waiting', 'assigned', 'resolved'] })
      .notNull()
      .default('waiting'),
    reason: text('reason').notNull(),
    assignedTo: text('assigned_to'),
    assignedAt: timestamp('assigned_at', { withTimezone: true }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [
    // one open handoff per contact
    uniqueIndex('handoffs_open_contact_key').on(t.contactKey).where(sql`${t.status} <> 'resolved'`),
    index('handoffs_status_idx').on(t.status, t.createdAt),
  ],
);

/** The consent ledger: every opt-in and opt-out, with time, source and the wording shown. */
export const consents = pgTable(
  'consents',
  {
    id: serial('id').primaryKey(),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participants.id),
    contactKey: text('contact_key'),
    action: text('action', { enum: ['opt_in', 'opt_out'] }).notNull(),
    /** e.g. whatsapp_keyword, template_button, api, import */
    source: text('source').notNull(),
    wording: text('wording'),
    createdAt: createdAt(),
  },
  (t) => [index('consents_participant_idx').on(t.participantId, t.createdAt)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role', { enum: ['admin', 'agent'] }).notNull(),
    /** SHA-256 of the key: keys are 256 random bits, so a fast hash is enough and lookups stay O(1) */
    keyHash: text('key_hash').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_name_key').on(t.name), uniqueIndex('api_keys_key_hash_key').on(t.keyHash)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** who: 'key:<name>', 'participant:<kpj>', 'contact:<masked>', 'system' */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    subject: text('subject'),
    details: jsonb('details').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_created_idx').on(t.createdAt)],
);

export const CAMPAIGN_STATUSES = ['draft', 'running', 'paused', 'cancelled', 'completed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** A reminder blast or a standing schedule. What happened to it is a query over its recipients, not counters. */
export const campaigns = pgTable(
  'campaigns',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    templateName: text('template_name').notNull(),
    /** the language for participants whose own the template lacks (their own goes first) */
    templateLanguage: text('template_language', { enum: ['id', 'en'] }).notNull(),
    /** the registry's category when the campaign was made: a status billed otherwise pauses it */
    templateCategory: text('template_category', { enum: ['utility', 'marketing'] }).notNull(),
    /** {category?, minArrearsMonths?, maxArrearsMonths?, periods?, kpj?} */
    audience: jsonb('audience').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: CAMPAIGN_STATUSES }).notNull().default('draft'),
    /** {sendAt} or {dueDateOffsetDays, time}; null: sends when started */
    schedule: jsonb('schedule').$type<Record<string, unknown>>(),
    holdoutPercent: integer('holdout_percent').notNull().default(0),
    allowMarketing: boolean('allow_marketing').notNull().default(false),
    pauseReason: text('pause_reason'),
    createdBy: text('created_by'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    /**
     * the audience is written in pages as it is sent: the last participant id whose recipient row is
     * written (null: none yet); a crash re-writes the page after it, which changes nothing that exists
     */
    audienceCursor: integer('audience_cursor'),
    /** every recipient row of the audience exists (a crash before this re-runs the idempotent insert) */
    recipientsReadyAt: timestamp('recipients_ready_at', { withTimezone: true }),
    /**
     * standing schedules: the last day (YYYY-MM-DD in BUSINESS_TZ) whose due recipients were written; set in
     * the same transaction as they are, so a day's point runs once across processes and a missed one is
     * caught up later that day
     */
    lastRunOn: date('last_run_on', { mode: 'string' }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('campaigns_status_idx').on(t.status),
    check('campaigns_holdout_range', sql`${t.holdoutPercent} between 0 and 100`),
  ],
);

export const RECIPIENT_STATUSES = ['pending', 'queued', 'skipped', 'holdout'] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

/**
 * One reminder of one bill to one participant in one campaign: unique, so a restart or a second process
 * can never make a second. Its message (and that message's statuses) say how far it got.
 */
export const campaignRecipients = pgTable(
  'campaign_recipients',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    participantId: integer('participant_id')
      .notNull()
      .references(() => participants.id),
    billId: integer('bill_id')
      .notNull()
      .references(() => bills.id),
    /** pending: not given to the sender yet; queued: has a message; skipped: see skipReason; holdout: kept unsent */
    status: text('status', { enum: RECIPIENT_STATUSES }).notNull().default('pending'),
    /** the randomised control group of an impact measurement: recorded, never sent */
    holdout: boolean('holdout').notNull().default(false),
    /**
     * how many times the reminder went back to pending (after a pause, or a 131049 for the next day): its
     * message is the one whose origin names this recipient and this attempt
     */
    attempts: integer('attempts').notNull().default(0),
    /** paid, opted_out, handoff, unreachable, cancelled, … */
    skipReason: text('skip_reason'),
    /** not to be queued before this (131049: the next day) */
    notBefore: timestamp('not_before', { withTimezone: true }),
    /** set once its message left the queue for good (accepted, failed or skipped) and was acted on */
    settledAt: timestamp('settled_at', { withTimezone: true }),
    queuedAt: timestamp('queued_at', { withTimezone: true }),
    skippedAt: timestamp('skipped_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('campaign_recipients_campaign_participant_bill_key').on(
      t.campaignId,
      t.participantId,
      t.billId,
    ),
    index('campaign_recipients_campaign_status_idx').on(t.campaignId, t.status, t.id),
    // the sender's in-flight set, read every tick: small whatever the campaign's size
    index('campaign_recipients_in_flight_idx')
      .on(t.campaignId)
      .where(sql`${t.status} = 'queued' and ${t.settledAt} is null`),
  ],
);

/**
 * How far the sender has read message_statuses for what origins hear after a send (a failure after
 * acceptance, the category Meta billed): one row, locked while read, so that each status is told once across
 * processes and none is missed across restarts.
 */
export const outboundStatusCursor = pgTable('outbound_status_cursor', {
  id: integer('id').primaryKey(),
  lastStatusId: bigint('last_status_id', { mode: 'number' }).notNull().default(0),
  updatedAt: updatedAt(),
});

export type Campaign = typeof campaigns.$inferSelect;
export type CampaignRecipient = typeof campaignRecipients.$inferSelect;
