import { staticPage } from '../pages.js';

// The agents' page. It holds no secret: the agent types their key, which the script keeps in sessionStorage.
export const inboxPage = staticPage({
  path: 'inbox',
  room: 'handoff',
  moduleUrl: import.meta.url,
  files: ['inbox.html', 'inbox.js', 'inbox.css', 'i18n.json'],
});
