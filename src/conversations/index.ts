export { type ConversationEngine, createConversationEngine, ENGINE_KEYS, type EngineDeps } from './engine.js';
export { createTranslator, type Translator } from './i18n.js';
export { isOfficeOpen, nextOfficeOpening } from './office-hours.js';
export {
  CorruptStateError,
  createMemoryStateStore,
  createRedisStateStore,
  type StateStore,
  type StoredConversation,
} from './state-store.js';
export { CONFIRMATION_DAYS, checkBirthDate, LOCK_HOURS, MAX_ATTEMPTS } from './verification.js';
