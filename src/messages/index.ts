export {
  callbackDataFor,
  createInboundRecorder,
  messageIdFromCallbackData,
  type RecordedInbound,
  recordInbound,
  recordStatuses,
} from './record.js';
export { applyStatus, reconcileStatuses, type StatusFact } from './status.js';
