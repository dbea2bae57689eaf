export { type WebhookOptions, webhookRoutes } from './routes.js';
