// The officers' campaign dashboard: a page, and the one read it needs.
export { dashboardPage } from './page.js';
export { type DashboardRoutesOptions, dashboardRoutes } from './routes.js';
