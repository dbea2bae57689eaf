import { and, asc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import {
  continueFlow,
  type Effect,
  type Facts,
  FLOWS,
  type FlowEvent,
  type FlowId,
  type Language,
  type InboundMessage as RoutedMessage,
  route,
  type Say,
  type Step,
  startFlow,
} from '../../flows/index.js';
import type { Config } from '../config.js';
import { auditLog, consents, contacts, type Db, handoffs, messages, participants } from '../db/index.js';
import type { Translator } from '../i18n/index.js';
import type { Outbound } from '../outbound/index.js';
import {
  checkBirthDate,
  confirmedHolder,
  getBalance,
  holdersKey,
  holdersOf,
  loadVerification,
  type Participant,
} from '../participants/index.js';
import { maskPhone } from '../whatsapp/index.js';
import { LINK_NOTICE_KEY, requestLink } from './link-request.js';
import { isOfficeOpen, nextOfficeOpening } from './office-hours.js';
import { renderEffect } from './render.js';
import { createRetries, type RetryPolicy } from './retry.js';
import { CorruptStateError, type StateStore } from './state-store.js';

export interface EngineDeps {
  db: Db;
  outbound: Outbound;
  store: StateStore;
  t: Translator;
  dataKey: string;
  config: Pick<Config, 'officeHours' | 'businessTz'>;
  now?: () => Date;
  /**
   * at most this many senders handled at once (default 16); the others wait their turn in memory (their
   * messages are recorded, so nothing waits only here). Unbounded, a burst of webhooks fills the database
   * pool with the engine's queries. Webhooks record on a pool of their own, so 16 (measured: 82 messages
   * handled a second against 68 with 4, on 2 cores) no longer slows the acknowledgements.
   */
  concurrency?: number;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** how a sender whose handling failed is tried again (retry.ts) */
  retry?: Partial<RetryPolicy>;
}

export interface ConversationEngine {
  /**
   * handles every waiting inbound message of these senders, each sender's in order, one at a time; a
   * sender whose handling fails is also tried again later, on its own (retry.ts)
   */
  handle(contactKeys: Iterable<string>): Promise<void>;
  /** handles messages recorded before a crash or restart and never answered */
  recover(): Promise<number>;
  /** no more tries later (shutdown) */
  stop(): void;
}

type Row = typeof messages.$inferSelect;
type Contact = typeof contacts.$inferSelect;

/** Everything the engine knows about one sender while it handles one message. */
interface Sender {
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

/** The inbox reason of a conversation where an officer decides a link request. */
export const LINK_REQUEST_REASON = 'link_request';

/** Locale keys the engine speaks itself, outside any flow. */
export const ENGINE_KEYS = { restarted: 'engine.restarted', linkNotice: LINK_NOTICE_KEY } as const;

// Message types that say nothing to answer (a reaction to our reminder, a number change notice).
const SILENT_TYPES = new Set(['reaction', 'system', 'ephemeral', 'request_welcome']);
// Flows that may run while an officer holds the conversation: opting out is honoured at once, always.
const FLOWS_DURING_HANDOFF: readonly FlowId[] = ['consent'];
// A query effect answered by an event can ask again; a flow that loops forever must not hang the engine.
const MAX_STEPS = 10;

export function createConversationEngine(deps: EngineDeps): ConversationEngine {
  const { db, store } = deps;
  const now = deps.now ?? (() => new Date());

  async function loadSender(contactKey: string): Promise<Sender | null> {
    const [contact] = await db.select().from(contacts).where(eq(contacts.contactKey, contactKey));
    if (!contact) return null;
    // the number's holders now, not whoever held it when the confirmation was made
    const holders = await holdersOf(db, contact);
    const confirmed = confirmedHolder(await loadVerification(db, contactKey), holders, now());
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

  async function factsOf(sender: Sender): Promise<Facts> {
    const at = now();
    const verification = await loadVerification(db, sender.contact.contactKey);
    const future = (t: Date | null | undefined) => (t && t > at ? t.toISOString() : null);
    const open = isOfficeOpen(at, deps.config.officeHours, deps.config.businessTz);
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
      nextOfficeOpen: open
        ? null
        : nextOfficeOpening(at, deps.config.officeHours, deps.config.businessTz).toISOString(),
    };
  }

  const routedMessage = (row: Row): RoutedMessage | null => {
    if (row.replyId) return { kind: 'choice', id: row.replyId };
    if (row.type === 'text' && row.text) return { kind: 'text', text: row.text };
    if (SILENT_TYPES.has(row.type)) return null;
    return { kind: 'media', mediaType: row.type };
  };

  async function openHandoffOf(contactKey: string) {
    const [open] = await db
      .select()
      .from(handoffs)
      .where(and(eq(handoffs.contactKey, contactKey), ne(handoffs.status, 'resolved')));
    return open ?? null;
  }

  /** Opens the sender's inbox conversation (one at a time); answers its id, new or already open. */
  async function openHandoff(sender: Sender, reason: string): Promise<number | null> {
    const [created] = await db
      .insert(handoffs)
      .values({
        contactKey: sender.contact.contactKey,
        participantId: sender.participant?.id ?? null,
        reason,
      })
      .onConflictDoNothing()
      .returning({ id: handoffs.id });
    if (!created) return (await openHandoffOf(sender.contact.contactKey))?.id ?? null;
    await db.insert(auditLog).values({
      actor: `contact:${maskPhone(sender.contact.contactKey)}`,
      action: 'handoff.open',
      subject: `handoff:${created.id}`,
      details: { reason },
    });
    return created.id;
  }

  /** Sends, records or queries what one step of a flow emitted; returns the event a query answers with. */
  async function perform(
    effect: Effect,
    sender: Sender,
    row: Row,
    sendIndex: { n: number },
  ): Promise<FlowEvent | null> {
    const actor = `contact:${maskPhone(sender.contact.contactKey)}`;
    switch (effect.type) {
      case 'checkBirthDate': {
        const linking = effect.params.kpj !== undefined;
        const checked = await checkBirthDate(db, {
          sender: sender.contact,
          text: effect.params.text,
          ...(linking ? { kpj: effect.params.kpj } : {}),
          dataKey: deps.dataKey,
          now: now(),
        });
        if (checked.result === 'match' && checked.participant) {
          // a KPJ typed from another number opens nothing by itself: it becomes a request to an officer
          if (linking) sender.linkCandidate = checked.participant;
          else {
            sender.participant = checked.participant;
            sender.verified = true;
            sender.language = checked.participant.language;
          }
        }
        return {
          type: 'BIRTH_DATE_CHECKED',
          result: checked.result,
          attemptsLeft: checked.attemptsLeft,
          facts: await factsOf(sender),
        };
      }
      case 'setConsent': {
        // A number's opt-out stops reminders to that number: every participant on it now, a family too.
        const { optedOut, source } = effect.params;
        const changed = sender.holders.filter((p) => p.optedOut !== optedOut);
        if (changed.length === 0) return null;
        await db.transaction(async (tx) => {
          await tx
            .update(participants)
            .set({ optedOut, updatedAt: now() })
            .where(
              inArray(
                participants.id,
                changed.map((p) => p.id),
              ),
            );
          await tx.insert(consents).values(
            changed.map((p) => ({
              participantId: p.id,
              contactKey: sender.contact.contactKey,
              action: optedOut ? ('opt_out' as const) : ('opt_in' as const),
              source: `whatsapp_${source}`,
              wording: row.text ?? row.replyId,
            })),
          );
          await tx.insert(auditLog).values(
            changed.map((p) => ({
              actor,
              action: optedOut ? 'consent.opt_out' : 'consent.opt_in',
              subject: `participant:${p.kpj}`,
              details: { source, wamid: row.wamid },
            })),
          );
        });
        for (const p of changed) p.optedOut = optedOut;
        return null;
      }
      case 'setLanguage': {
        const { language } = effect.params;
        if (sender.participant) {
          await db.update(participants).set({ language }).where(eq(participants.id, sender.participant.id));
          sender.participant.language = language;
        }
        await db.update(contacts).set({ language }).where(eq(contacts.id, sender.contact.id));
        sender.language = language;
        return null;
      }
      case 'openHandoff':
        await openHandoff(sender, effect.params.reason);
        return null;
      case 'requestLink': {
        // only for the participant whose KPJ and birth date this sender has just typed
        const candidate = sender.linkCandidate;
        if (candidate?.kpj !== effect.params.kpj) {
          deps.log?.warn({ contact: maskPhone(sender.contact.contactKey) }, 'link request refused: no match');
          return null;
        }
        const handoffId = await openHandoff(sender, LINK_REQUEST_REASON);
        await requestLink(
          { db, outbound: deps.outbound, t: deps.t, now },
          { contactKey: sender.contact.contactKey, participant: candidate, handoffId },
        );
        return null;
      }
      default:
        await say(effect, sender, row, sendIndex);
        return null;
    }
  }

  async function say(effect: Say, sender: Sender, row: Row, sendIndex: { n: number }): Promise<void> {
    const needsBalance = effect.type === 'sayBill' || effect.type === 'sayPaymentSteps';
    // The last guard before money leaves: only a registered, birth-date-confirmed sender sees a bill.
    if (needsBalance && (!sender.participant || !sender.verified)) {
      deps.log?.error({ effect: effect.type }, 'refused to disclose a bill to an unconfirmed sender');
      return;
    }
    const p = sender.participant;
    const bodies = renderEffect(effect, {
      to: sender.to,
      language: sender.language,
      ...(p ? { name: p.name, kpj: p.kpj } : {}),
      ...(needsBalance && p ? { balance: await getBalance(db, p.id) } : {}),
      timeZone: deps.config.businessTz,
      t: deps.t,
    });
    for (const body of bodies) {
      // keyed on the inbound message: handling it again after a crash cannot send a reply twice
      await deps.outbound.enqueue({
        contactKey: sender.contact.contactKey,
        participantId: p?.id ?? null,
        body,
        priority: 'reply',
        dedupeKey: `reply:${row.wamid}:${sendIndex.n++}`,
        text: textOf(body),
      });
    }
  }

  /** Runs a step's effects, feeding query answers back, and follows a finished flow to the next one. */
  async function run(flow: FlowId, first: Step, sender: Sender, row: Row, sendIndex: { n: number }) {
    let current = flow;
    let step = first;
    for (let i = 0; i < MAX_STEPS; i++) {
      let answer: FlowEvent | null = null;
      for (const effect of step.effects) {
        const event = await perform(effect, sender, row, sendIndex);
        if (event) answer = event;
      }
      if (answer && !step.done) {
        step = continueFlow(current, step.snapshot, answer);
        continue;
      }
      if (step.done) {
        const next = step.output?.next;
        if (!next) {
          await store.delete(sender.contact.contactKey);
          return;
        }
        step = startFlow(next, { facts: await factsOf(sender), via: step.output?.via ?? `flow:${current}` });
        current = next;
        continue;
      }
      await store.set(sender.contact.contactKey, {
        machineId: current,
        version: FLOWS[current].version,
        snapshot: step.snapshot,
        holders: holdersKey(sender.holders),
      });
      return;
    }
    deps.log?.error({ flow: current }, 'a flow did not settle; conversation reset');
    await store.delete(sender.contact.contactKey);
  }

  async function handleMessage(row: Row): Promise<void> {
    const message = routedMessage(row);
    if (!message) return;
    const sender = await loadSender(row.contactKey);
    if (!sender) return;
    const facts = await factsOf(sender);
    const sendIndex = { n: 0 };

    let active: FlowId | null = null;
    let snapshot: unknown = null;
    let restarted = false;
    try {
      const stored = await store.get(row.contactKey);
      // A conversation held with the number's former holders is theirs: the new ones start afresh. (One
      // stored before holders were recorded carries none; it expires within a day.)
      const theirs = stored?.holders === undefined || stored.holders === holdersKey(sender.holders);
      if (stored && theirs) {
        const known = FLOWS[stored.machineId as FlowId];
        if (known && known.version === stored.version) {
          active = stored.machineId as FlowId;
          snapshot = stored.snapshot;
        } else {
          restarted = true;
        }
      }
    } catch (err) {
      if (!(err instanceof CorruptStateError)) throw err;
      restarted = true;
    }

    const decision = route({ message, active, facts });
    const handoff = await openHandoffOf(row.contactKey);
    if (handoff) {
      // The officer has the conversation: the participant's words wait in their view, the bot stays quiet.
      await db
        .update(handoffs)
        .set({
          lastMessageAt: sql`greatest(${handoffs.lastMessageAt}, ${row.occurredAt.toISOString()}::timestamptz)`,
        })
        .where(eq(handoffs.id, handoff.id));
      if (!FLOWS_DURING_HANDOFF.includes(decision.flow) || !decision.restart) return;
    }

    if (restarted) {
      // an older machine's snapshot, or a broken one: a short apology and the menu, never a failure
      deps.log?.warn(
        { contact: maskPhone(row.contactKey) },
        'conversation state unusable; restarted at the menu',
      );
      await say({ type: 'say', params: { key: ENGINE_KEYS.restarted } }, sender, row, sendIndex);
      await run('menu', startFlow('menu', { facts, via: 'flow:restart' }), sender, row, sendIndex);
      return;
    }

    let step: Step;
    try {
      step =
        decision.restart || !snapshot
          ? startFlow(decision.flow, startInput(decision.event, facts))
          : continueFlow(decision.flow, snapshot, decision.event);
    } catch (err) {
      deps.log?.warn({ err, flow: decision.flow }, 'stored snapshot did not resume; restarted at the menu');
      await say({ type: 'say', params: { key: ENGINE_KEYS.restarted } }, sender, row, sendIndex);
      step = startFlow('menu', { facts, via: 'flow:restart' });
      await run('menu', step, sender, row, sendIndex);
      return;
    }
    await run(decision.flow, step, sender, row, sendIndex);
  }

  async function drain(contactKey: string): Promise<void> {
    await store.withLock(contactKey, async () => {
      for (;;) {
        const waiting = await db
          .select()
          .from(messages)
          .where(
            and(
              eq(messages.contactKey, contactKey),
              eq(messages.direction, 'in'),
              isNull(messages.handledAt),
            ),
          )
          .orderBy(asc(messages.occurredAt), asc(messages.id))
          .limit(20);
        if (waiting.length === 0) return;
        for (const row of waiting) {
          await handleMessage(row);
          await db.update(messages).set({ handledAt: sql`now()` }).where(eq(messages.id, row.id));
        }
      }
    });
  }

  // Senders waiting for a turn (each at most once: the drain that starts reads all its waiting messages)
  // and those being handled; a sender handled now and asked for again goes back in line when it is done.
  const limit = Math.max(1, deps.concurrency ?? 16);
  const pending = new Map<string, { promise: Promise<void>; resolve(): void; reject(err: unknown): void }>();
  const active = new Set<string>();
  const ready: string[] = [];
  // The caller of handle() learns of a failure at once; the retry is the engine's own, and its failure
  // is handled by the next retry, so its promise is left unobserved.
  const retries = createRetries({
    ...(deps.retry ? { policy: deps.retry } : {}),
    ...(deps.log ? { log: deps.log } : {}),
    again: (key) => void schedule(key).catch(() => undefined),
  });
  function pump(): void {
    while (active.size < limit && ready.length > 0) {
      const key = ready.shift()!;
      const turn = pending.get(key)!;
      pending.delete(key);
      active.add(key);
      drain(key)
        .then(
          () => {
            retries.succeeded(key);
            turn.resolve();
          },
          (err: unknown) => {
            retries.failed(key, err);
            turn.reject(err);
          },
        )
        .finally(() => {
          active.delete(key);
          if (pending.has(key)) ready.push(key);
          pump();
        });
    }
  }
  function schedule(key: string): Promise<void> {
    let turn = pending.get(key);
    if (!turn) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      turn = { promise, resolve, reject };
      pending.set(key, turn);
      if (!active.has(key)) ready.push(key);
      pump();
    }
    return turn.promise;
  }

  return {
    async handle(contactKeys) {
      await Promise.all([...new Set(contactKeys)].map((key) => schedule(key)));
    },
    async recover() {
      const waiting = await db
        .selectDistinct({ contactKey: messages.contactKey })
        .from(messages)
        .where(and(eq(messages.direction, 'in'), isNull(messages.handledAt)));
      // a sender that fails here is tried again later: it must not stop the start-up
      await Promise.allSettled(waiting.map((w) => schedule(w.contactKey)));
      return waiting.length;
    },
    stop() {
      retries.stop();
    },
  };
}

function startInput(event: FlowEvent, facts: Facts) {
  if (event.type !== 'START') return { facts };
  return {
    facts: event.facts,
    ...(event.via !== undefined ? { via: event.via } : {}),
    ...('text' in event && typeof event.text === 'string' ? { text: event.text } : {}),
  };
}

/** The words a person reads, kept on the message row for the history and the agent's view. */
function textOf(body: object): string | null {
  const b = body as { text?: { body?: string }; interactive?: { body?: { text?: string } } };
  return b.text?.body ?? b.interactive?.body?.text ?? null;
}
