export { isBsuid } from './bsuid.js';
export {
  type CloudApiClient,
  type CloudApiClientOptions,
  createCloudApiClient,
  type SendOutcome,
} from './client.js';
export {
  type CloudApiFailure,
  classifyFailure,
  type FailureInput,
  type FailureKind,
  isPairRateLimit,
  PAIR_RATE_LIMIT_CODE,
  RETRYABLE_CODES,
  WINDOW_CLOSED_CODE,
} from './errors.js';
export {
  type DeliveryStatus,
  type InboundMessage,
  type ParsedWebhook,
  type ParseResult,
  parseWebhook,
  type ReplyKind,
  STATUS_VALUES,
  type StatusUpdate,
  type WebhookError,
} from './inbound.js';
export { maskPhone } from './mask.js';
export {
  type Addressee,
  type ButtonSpec,
  buttonMessage,
  type InteractiveBody,
  LIMITS,
  type ListSpec,
  listMessage,
  MessageLimitError,
  type OutboundBody,
  type TemplateBody,
  type TemplateSpec,
  type TextBody,
  templateMessage,
  textMessage,
  withCallbackData,
} from './messages.js';
export { signBody, verifySignature } from './signature.js';
export { isWindowOpen, SERVICE_WINDOW_INTERVAL, windowClosesAt } from './window.js';
