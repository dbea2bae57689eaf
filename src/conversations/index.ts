export {
  type ConversationEngine,
  createConversationEngine,
  ENGINE_KEYS,
  type EngineDeps,
  LINK_REQUEST_REASON,
} from './engine.js';
export { createTranslator, type Translator } from './i18n.js';
export { LINK_NOTICE_KEY } from './link-request.js';
export { isOfficeOpen, nextOfficeOpening } from './office-hours.js';
export {
  CorruptStateError,
  createMemoryStateStore,
  createRedisStateStore,
  type StateStore,
  type StoredConversation,
} from './state-store.js';
