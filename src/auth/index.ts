export {
  type ApiKeyHolder,
  type ApiKeyListing,
  BOOTSTRAP_ADMIN,
  createApiKey,
  ensureBootstrapAdmin,
  findApiKey,
  generateApiKey,
  hashApiKey,
  listApiKeys,
  type Revocation,
  type Role,
  revokeApiKey,
} from './keys.js';
export { type CallerLimit, requireRole, roleGuard, tooManyRequests } from './plugin.js';
export { keyRoutes } from './routes.js';
