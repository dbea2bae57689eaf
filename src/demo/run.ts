import type { Config } from '../config.js';
import { localDate } from '../local-time.js';
import type { Service } from '../service.js';
import { DEMO_SIZE, generateSeed, importSeed, isEmpty, type SeedCounts, STANDING_CAMPAIGN } from './seed.js';

export interface SeededDemo extends SeedCounts {
  campaignId: number;
}

/**
 * Seeds an empty database and starts the standing reminder campaign through the admin API (the same
 * validation a branch officer's request meets). A database that holds participants is left alone, so a
 * restarted demo keeps what was done in it. Returns null when nothing was seeded.
 */
export async function seedDemo(service: Service, config: Config): Promise<SeededDemo | null> {
  const db = service.database.db;
  if (!(await isEmpty(db))) return null;
  if (!service.adminApiKey) throw new Error('the demo needs an admin key to create its campaign');
  const timeZone = config.businessTz;
  const data = generateSeed({ size: DEMO_SIZE, today: localDate(new Date(), timeZone), timeZone });
  const counts = await importSeed(db, data, { dataKey: service.secrets.dataKey, timeZone });
  const headers = { authorization: `Bearer ${service.adminApiKey}` };
  const created = await service.app.inject({
    method: 'POST',
    url: '/api/campaigns',
    headers,
    payload: STANDING_CAMPAIGN,
  });
  if (created.statusCode !== 201) throw new Error(`demo campaign refused: ${created.body}`);
  const { id } = created.json<{ id: number }>();
  const started = await service.app.inject({ method: 'POST', url: `/api/campaigns/${id}/start`, headers });
  if (started.statusCode !== 202) throw new Error(`demo campaign did not start: ${started.body}`);
  return { ...counts, campaignId: id };
}
