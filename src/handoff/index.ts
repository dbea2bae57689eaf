// The one door to the handoff room: the agents' inbox, its API, and the rules of who holds a conversation.
// It owns the writes of `handoffs`: the conversation engine opens one and notes a participant's message here.
export {
  type Agent,
  createDesk,
  type Desk,
  type DeskDeps,
  type HandoffStatus,
  type HandoffSummary,
  REENGAGE_TEMPLATE,
  type Refusal,
} from './desk.js';
export { findOpenHandoff, noteParticipantMessage } from './handoffs.repository.js';
export { createHandoffJobs, type HandoffJobs, type HandoffJobsDeps, IDLE_CHECK_MS } from './jobs.js';
export { CANNED_FAQ_KEYS, HANDOFF_KEYS } from './keys.js';
export { openHandoff } from './open.js';
export { inboxPage } from './page.js';
export { type HandoffRoutesOptions, handoffRoutes } from './routes.js';
