export { type WebhookOptions, webhookRoutes } from './routes.js';
export {
  createMemorySenderLimit,
  createRedisSenderLimit,
  createSenderLimit,
  type SenderLimit,
  type SenderMessage,
} from './sender-limit.js';
