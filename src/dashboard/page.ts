import { staticPage } from '../pages.js';

// The officers' campaign dashboard, signed in with an admin key.
export const dashboardPage = staticPage({
  path: 'dashboard',
  room: 'dashboard',
  moduleUrl: import.meta.url,
  files: ['dashboard.html', 'dashboard.js', 'dashboard.css'],
});
