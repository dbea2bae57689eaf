// The one door to the outbound room: every message to a participant goes through this queue and sender.
export type {
  GuardedMessage,
  Origin,
  OriginHandlers,
  OriginOf,
  Outcome,
  OutcomeHandler,
  OutcomeReport,
  SendDecision,
  SendGuard,
} from './origin.js';
export {
  createOutbound,
  LIMIT_WINDOW_MS,
  type Outbound,
  type OutboundDeps,
  type OutboundLogger,
  type OutboundRequest,
} from './outbound.js';
export type { Depth, Priority } from './queue.js';
