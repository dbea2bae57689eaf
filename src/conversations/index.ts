// the translator lives in its own room (src/i18n); the engine's callers may still take it from here
export { createTranslator, type Translator } from '../i18n/index.js';
export {
  type ConversationEngine,
  createConversationEngine,
  ENGINE_KEYS,
  type EngineDeps,
  LINK_REQUEST_REASON,
} from './engine.js';
export { LINK_NOTICE_KEY } from './link-request.js';
export { isOfficeOpen, nextOfficeOpening } from './office-hours.js';
export {
  CorruptStateError,
  createMemoryStateStore,
  createRedisStateStore,
  type StateStore,
  type StoredConversation,
} from './state-store.js';
