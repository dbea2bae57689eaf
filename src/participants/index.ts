// The participants room: registration imports, bills, payments, balances and message history.
export { birthDateMatches, hashBirthDate, isRealIsoDate, parseBirthDate } from './birth-date.js';
export type { HistoryEntry } from './history.js';
export { getMessageHistory } from './history.js';
export type { ImportOptions, PaymentResult, PaymentWarning, RejectedRow, UpsertResult } from './import.js';
export { BATCH_SIZE, importBills, importParticipants, importPayments } from './import.js';
export {
  closeLinkRequests,
  createLinkRequest,
  type DecisionResult,
  decideLinkRequest,
  type LinkDecision,
  type LinkRequest,
  linkRequestOfHandoff,
  recordLinkNotice,
} from './links.js';
export { holdersKey, holdersOf, type NumberChanges, type NumberMove, type SenderNumber } from './numbers.js';
export type { PhoneResult } from './phone.js';
export { BSUID_PATTERN, isBsuid, normalisePhone } from './phone.js';
export type { Balance, Participant, UnpaidBill } from './queries.js';
export {
  findParticipantByKpj,
  findParticipantByWaId,
  findParticipantsByWaId,
  getBalance,
  recomputePaidState,
} from './queries.js';
export type { ParticipantRoutesOptions } from './routes.js';
export { IMPORT_BODY_LIMIT, IMPORT_MAX_ROWS, participantRoutes } from './routes.js';
export { KPJ_PATTERN, maskKpj } from './rows.js';
export {
  type CheckResult,
  CONFIRMATION_DAYS,
  checkBirthDate,
  confirmedHolder,
  LOCK_HOURS,
  loadVerification,
  MAX_ATTEMPTS,
  type Verification,
} from './verification.js';
