// The participants room: registration imports, bills, payments, balances, consent, who a number belongs
// to, and message history. It owns the writes of participants, consents, bills, payments, verifications,
// kpj_link_attempts, link_requests and contact_links.

export {
  type Balance,
  getBalance,
  recentPayments,
  recomputePaidState,
  type UnpaidBill,
} from './bills.repository.js';
export { birthDateMatches, hashBirthDate, isRealIsoDate, parseBirthDate } from './birth-date.js';
export { type ConsentChange, changeConsent } from './consent.js';
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
export {
  consentHistory,
  findParticipantById,
  findParticipantByKpj,
  findParticipantByWaId,
  findParticipantsByWaId,
  markWhatsappUnreachable,
  type Participant,
  setParticipantLanguage,
} from './participants.repository.js';
export type { PhoneResult } from './phone.js';
export { normalisePhone } from './phone.js';
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
