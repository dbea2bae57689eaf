export {
  callbackDataFor,
  createInboundRecorder,
  createStatusRecorder,
  messageIdFromCallbackData,
  type OnMalformed,
  type RecordedInbound,
  recordInbound,
  recordStatuses,
  type StatusRecorder,
} from './record.js';
export { applyStatus, reconcileStatuses, type StatusFact } from './status.js';
