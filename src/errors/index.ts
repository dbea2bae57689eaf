// The one door to errors: the AppError every part throws, the map from its code to an HTTP answer, the
// messages in the caller's language, and how errors are documented in /docs.
export {
  AppError,
  type AppErrorOptions,
  answerOf,
  type ErrorAnswer,
  type ErrorBody,
  type Issue,
} from './app-error.js';
export { ERROR_CODES, type ErrorCode, statusOf } from './codes.js';
export { issuePath } from './issues.js';
export { DEFAULT_LANGUAGE, LANGUAGES, type Language, languageOf } from './language.js';
export {
  MESSAGES,
  type Message,
  type MessageKey,
  msg,
  type NoTemplateWhy,
  type ParamsOf,
  type ReengageHint,
  render,
} from './messages.js';
export { answerError, errorHandling } from './plugin.js';
export { documentErrors, errorBodySchema, errorResponse } from './schemas.js';
