import { ConfigError, loadConfig } from './config.js';
import { seedDemo } from './demo/run.js';
import { errorHeadline } from './logger.js';
import { describeMode, startService } from './service.js';

// `npm run demo`: the service on embedded defaults (PGlite, in-process state and queues, the simulator as
// its Cloud API), with nothing else installed.
async function demo(): Promise<void> {
  // Quiet hours are off unless asked for: the participants are synthetic, and a demo tried in the evening
  // should still show reminders going out.
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    QUIET_HOURS: process.env.QUIET_HOURS ?? '',
  });
  const service = await startService(config);
  const base = service.address.replace('0.0.0.0', 'localhost');
  // the first run only: a restarted demo keeps its participants, conversations and campaigns
  const seeded = await seedDemo(service, config);
  console.log(`Tagih demo running at ${base}`);
  console.log(`  ${describeMode(config)}`);
  if (seeded) {
    console.log(
      `  seeded ${seeded.participants} synthetic participants of Blitar, ${seeded.bills} bills, ${seeded.payments} payments; standing reminder campaign ${seeded.campaignId} started`,
    );
  }
  console.log(`  health:   ${base}/healthz`);
  console.log(`  WhatsApp simulator: ${base}/simulator`);
  console.log(`  agent inbox: ${base}/inbox`);
  console.log(`  dashboard: ${base}/dashboard`);
  console.log(`  API docs: ${base}/docs`);
  if (service.adminApiKey && !process.env.ADMIN_API_KEY) {
    console.log(`  admin API key (kept in ${config.dataDir}/secrets.json): ${service.adminApiKey}`);
  }
  console.log('Stop with Ctrl+C.');
  const stop = () => service.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

demo().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : errorHeadline(err));
  process.exit(1);
});
