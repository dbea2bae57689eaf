import { staticPage } from '../pages.js';

// The WhatsApp simulator's chat page (embedded mode only).
export const simulatorPage = staticPage({
  path: 'simulator',
  room: 'simulator',
  moduleUrl: import.meta.url,
  files: ['simulator.html', 'simulator.js', 'simulator.css'],
});
