import {
  continueFlow,
  type Facts,
  FLOWS,
  type FlowEvent,
  type FlowId,
  type InboundMessage as RoutedMessage,
  route,
  type Step,
  startFlow,
} from '../../flows/index.js';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import { findOpenHandoff, noteParticipantMessage } from '../handoff/index.js';
import type { Translator } from '../i18n/index.js';
import { type Message, markHandled, sendersWaiting, waitingInbound } from '../messages/index.js';
import type { Outbound } from '../outbound/index.js';
import { holdersKey } from '../participants/index.js';
import { maskPhone } from '../whatsapp/index.js';
import { type HandlerDeps, LINK_NOTICE_KEY, perform, type Scene, say } from './handlers/index.js';
import { IDLE_MS, isIdle } from './idle.js';
import { createRetries, type RetryPolicy } from './retry.js';
import { factsOf, loadSender, type Sender } from './sender.js';
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
  /** a flow waiting this long for an answer lapses before the next message (idle.ts; default an hour) */
  idleMs?: number;
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

/** Locale keys the engine speaks itself, outside any flow. */
export const ENGINE_KEYS = {
  restarted: 'engine.restarted',
  timedOut: 'engine.timed_out',
  linkNotice: LINK_NOTICE_KEY,
} as const;

/** What the state store held for a sender, as the engine can use it. */
interface Resumable {
  active: FlowId | null;
  snapshot: unknown;
  /** the stored state could not be resumed: the sender restarts at the menu with an apology */
  restarted: boolean;
  /** when the message the active flow last answered was sent (absent: stored before it was kept) */
  messageAt: string | undefined;
}

// Message types that say nothing to answer (a reaction to our reminder, a number change notice).
const SILENT_TYPES = new Set(['reaction', 'system', 'ephemeral', 'request_welcome']);
// Flows that may run while an officer holds the conversation: opting out is honoured at once, always.
const FLOWS_DURING_HANDOFF: readonly FlowId[] = ['consent'];
// A query effect answered by an event can ask again; a flow that loops forever must not hang the engine.
const MAX_STEPS = 10;
// The handful of a sender's waiting messages read at a time.
const WAITING_PAGE = 20;

export function createConversationEngine(deps: EngineDeps): ConversationEngine {
  const { db, store } = deps;
  const now = deps.now ?? (() => new Date());
  const idleMs = deps.idleMs ?? IDLE_MS;
  const senderDeps = { db, config: deps.config, now };
  const factsNow = (sender: Sender) => factsOf(senderDeps, sender);
  const handlerDeps: HandlerDeps = {
    db,
    outbound: deps.outbound,
    t: deps.t,
    dataKey: deps.dataKey,
    config: deps.config,
    now,
    facts: factsNow,
    ...(deps.log ? { log: deps.log } : {}),
  };

  const routedMessage = (row: Message): RoutedMessage | null => {
    if (row.replyId) return { kind: 'choice', id: row.replyId };
    if (row.type === 'text' && row.text) return { kind: 'text', text: row.text };
    if (SILENT_TYPES.has(row.type)) return null;
    return { kind: 'media', mediaType: row.type };
  };

  /** Runs a step's effects, feeding query answers back, and follows a finished flow to the next one. */
  async function run(flow: FlowId, first: Step, scene: Scene) {
    const key = scene.sender.contact.contactKey;
    let current = flow;
    let step = first;
    for (let i = 0; i < MAX_STEPS; i++) {
      let answer: FlowEvent | null = null;
      for (const effect of step.effects) {
        const event = await perform(effect, scene, handlerDeps);
        if (event) answer = event;
      }
      if (answer && !step.done) {
        step = continueFlow(current, step.snapshot, answer);
        continue;
      }
      if (step.done) {
        const next = step.output?.next;
        if (!next) {
          await store.delete(key);
          return;
        }
        step = startFlow(next, {
          facts: await factsNow(scene.sender),
          via: step.output?.via ?? `flow:${current}`,
        });
        current = next;
        continue;
      }
      await store.set(key, {
        machineId: current,
        version: FLOWS[current].version,
        snapshot: step.snapshot,
        holders: holdersKey(scene.sender.holders),
        messageAt: scene.message.occurredAt.toISOString(),
      });
      return;
    }
    deps.log?.error({ flow: current }, 'a flow did not settle; conversation reset');
    await store.delete(key);
  }

  async function resumable(sender: Sender): Promise<Resumable> {
    const none: Resumable = { active: null, snapshot: null, restarted: false, messageAt: undefined };
    try {
      const stored = await store.get(sender.contact.contactKey);
      // A conversation held with the number's former holders is theirs: the new ones start afresh. (One
      // stored before holders were recorded carries none; it expires within a day.)
      const theirs = stored?.holders === undefined || stored.holders === holdersKey(sender.holders);
      if (!stored || !theirs) return none;
      const known = FLOWS[stored.machineId as FlowId];
      if (known?.version !== stored.version) return { ...none, restarted: true };
      return {
        active: stored.machineId as FlowId,
        snapshot: stored.snapshot,
        restarted: false,
        messageAt: stored.messageAt,
      };
    } catch (err) {
      if (!(err instanceof CorruptStateError)) throw err;
      return { ...none, restarted: true };
    }
  }

  /** An older machine's snapshot, or a broken one: a short apology and the menu, never a failure. */
  async function restartAtMenu(scene: Scene, facts: Facts): Promise<void> {
    await say({ type: 'say', params: { key: ENGINE_KEYS.restarted } }, scene, handlerDeps);
    await run('menu', startFlow('menu', { facts, via: 'flow:restart' }), scene);
  }

  /**
   * The flow waited longer than idleMs for an answer and has heard TIMEOUT (`ended`: it ends as it
   * decides); the message then goes where it would with no flow waiting. The sender is told the earlier
   * conversation ended when their message no longer goes to the flow that waited, so that a question from
   * hours ago is not answered by chance.
   */
  async function lapse(active: FlowId, ended: Step, message: RoutedMessage, scene: Scene, facts: Facts) {
    await run(active, ended, scene);
    const fresh = route({ message, active: null, facts });
    if (fresh.flow !== active) {
      await say({ type: 'say', params: { key: ENGINE_KEYS.timedOut } }, scene, handlerDeps);
    }
    await run(fresh.flow, startFlow(fresh.flow, startInput(fresh.event, facts)), scene);
  }

  async function handleMessage(row: Message): Promise<void> {
    const message = routedMessage(row);
    if (!message) return;
    const sender = await loadSender(senderDeps, row.contactKey);
    if (!sender) return;
    const facts = await factsNow(sender);
    const scene: Scene = { sender, message: row, replies: { n: 0 } };
    const stored = await resumable(sender);

    const decision = route({ message, active: stored.active, facts });
    const handoff = await findOpenHandoff(db, row.contactKey);
    if (handoff) {
      // The officer has the conversation: the participant's words wait in their view, the bot stays quiet.
      await noteParticipantMessage(db, handoff.id, row.occurredAt);
      if (!FLOWS_DURING_HANDOFF.includes(decision.flow) || !decision.restart) return;
    }
    if (stored.restarted) {
      deps.log?.warn(
        { contact: maskPhone(row.contactKey) },
        'conversation state unusable; restarted at the menu',
      );
      await restartAtMenu(scene, facts);
      return;
    }

    const { active, snapshot } = stored;
    // the message would answer a flow that has waited too long: that flow hears TIMEOUT instead
    const lapsed =
      active !== null && !decision.restart && isIdle(stored.messageAt, row.occurredAt, idleMs)
        ? active
        : null;
    let step: Step;
    try {
      if (lapsed) step = continueFlow(lapsed, snapshot, { type: 'TIMEOUT', facts });
      else if (decision.restart || !snapshot)
        step = startFlow(decision.flow, startInput(decision.event, facts));
      else step = continueFlow(decision.flow, snapshot, decision.event);
    } catch (err) {
      deps.log?.warn({ err, flow: decision.flow }, 'stored snapshot did not resume; restarted at the menu');
      await restartAtMenu(scene, facts);
      return;
    }
    if (lapsed) await lapse(lapsed, step, message, scene, facts);
    else await run(decision.flow, step, scene);
  }

  async function drain(contactKey: string): Promise<void> {
    await store.withLock(contactKey, async () => {
      for (;;) {
        const waiting = await waitingInbound(db, contactKey, WAITING_PAGE);
        if (waiting.length === 0) return;
        for (const row of waiting) {
          await handleMessage(row);
          await markHandled(db, row.id);
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
      const waiting = await sendersWaiting(db);
      // a sender that fails here is tried again later: it must not stop the start-up
      await Promise.allSettled(waiting.map((key) => schedule(key)));
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
