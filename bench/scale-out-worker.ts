// One service process of bench/scale-out.ts: the real service in production mode, configured only by the
// environment its parent passes. Tells the parent its address over the IPC channel; SIGTERM stops it as
// main.ts does (in-flight work finished, then exit).
// Answers 'cpu' with its CPU time, so the parent can say what a message costs.
import { startBenchService } from './support.js';

const env = Object.fromEntries(
  Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
);
const service = await startBenchService(env);
process.once('SIGTERM', () => {
  service.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`scale-out worker ${process.pid}: stop failed:`, err);
      process.exit(1);
    },
  );
});
// the parent asks for this process's CPU time (µs, user + system) at the start and end of a round
process.on('message', (m) => {
  if (m === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpu: user + system });
  }
});
process.send?.({ address: service.address });
