export {
  type ApiKeyHolder,
  BOOTSTRAP_ADMIN,
  createApiKey,
  ensureBootstrapAdmin,
  findApiKey,
  generateApiKey,
  hashApiKey,
  type Role,
} from './keys.js';
export { type CallerLimit, requireRole, roleGuard, tooManyRequests } from './plugin.js';
export { keyRoutes } from './routes.js';
