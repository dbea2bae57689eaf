// The messages room: the record of both directions, and of who writes to us (contacts).
export { type Contact, findContact, setContactLanguage } from './contacts.repository.js';
export {
  applyStatus,
  conversationHistory,
  hasMessageWithDedupeKey,
  type Message,
  markHandled,
  reconcileStatuses,
  sendersWaiting,
  waitingInbound,
} from './messages.repository.js';
export {
  callbackDataFor,
  createInboundRecorder,
  createStatusRecorder,
  type OnMalformed,
  type RecordedInbound,
  recordInbound,
  recordStatuses,
  type StatusRecorder,
} from './record.js';
export type { StatusFact } from './status.js';
