// The one door to the outbound room: every message to a participant goes through this queue and sender.
export {
  createOutbound,
  DEFAULTS as OUTBOUND_DEFAULTS,
  type GuardedMessage,
  LIMIT_WINDOW_MS,
  type Outbound,
  type OutboundDeps,
  type OutboundLogger,
  type OutboundRequest,
  type SendDecision,
  type SendGuard,
} from './outbound.js';
export type { Depth, Priority } from './queue.js';
