import { ConfigError, loadConfig } from './config.js';
import { describeMode, startService } from './service.js';

// `npm run demo`: the service on embedded defaults (PGlite, in-process state and queues, the simulator as
// its Cloud API), with nothing else installed.
async function demo(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const service = await startService(config);
  const base = service.address.replace('0.0.0.0', 'localhost');
  console.log(`Tagih demo running at ${base}`);
  console.log(`  ${describeMode(config)}`);
  console.log(`  health:   ${base}/healthz`);
  console.log(`  agent inbox: ${base}/inbox`);
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
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
