import { ConfigError, loadConfig } from './config.js';
import { errorHeadline } from './logger.js';
import { startService } from './service.js';

// Start-up and graceful shutdown only; everything else is wired in service.ts and app.ts.
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const service = await startService(config);
  const shutdown = (signal: string) => {
    service.app.log.info(`${signal}: finishing in-flight work, then stopping`);
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        service.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // a failed start-up statement's parameters stay out of stderr too
  console.error(errorHeadline(err));
  process.exit(1);
});
