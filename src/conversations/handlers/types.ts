import type { Effect, EffectType, Facts, FlowEvent } from '../../../flows/index.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/index.js';
import type { Translator } from '../../i18n/index.js';
import type { Message } from '../../messages/index.js';
import type { Outbound } from '../../outbound/index.js';
import type { Sender } from '../sender.js';

/** One inbound message being answered, and who sent it: what every handler works on. */
export interface Scene {
  sender: Sender;
  message: Message;
  /** how many replies to this message were queued so far: each reply's dedupe key counts on from here */
  replies: { n: number };
}

export interface HandlerDeps {
  db: Db;
  outbound: Outbound;
  t: Translator;
  dataKey: string;
  config: Pick<Config, 'officeHours' | 'businessTz'>;
  now: () => Date;
  /** the sender's facts now, for the event that answers a query */
  facts(sender: Sender): Promise<Facts>;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Carries out one kind of effect a flow emitted, through the room that owns what it changes. A query
 * (checkBirthDate) answers with the event the flow continues with; the others with null.
 */
export type Handler<T extends EffectType> = (
  effect: Extract<Effect, { type: T }>,
  scene: Scene,
  deps: HandlerDeps,
) => Promise<FlowEvent | null>;

/** One handler for every kind of effect: a flow that emits a new kind does not compile without one. */
export type Handlers = { readonly [T in EffectType]: Handler<T> };
