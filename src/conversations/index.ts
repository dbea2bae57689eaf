// The one door to the conversations room: the engine that runs flows for one sender at a time and applies
// their effects through handlers (handlers/), and the store of conversation state.

// the translator lives in its own room (src/i18n); the engine's callers may still take it from here
export { createTranslator, type Translator } from '../i18n/index.js';
export {
  type ConversationEngine,
  createConversationEngine,
  ENGINE_KEYS,
  type EngineDeps,
} from './engine.js';
export { LINK_NOTICE_KEY, LINK_REQUEST_REASON } from './handlers/index.js';
export { IDLE_MS } from './idle.js';
export { isOfficeOpen, nextOfficeOpening } from './office-hours.js';
export {
  CorruptStateError,
  createMemoryStateStore,
  createRedisStateStore,
  type StateStore,
  type StoredConversation,
} from './state-store.js';
