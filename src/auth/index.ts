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
export { requireRole, roleGuard } from './plugin.js';
export { keyRoutes } from './routes.js';
