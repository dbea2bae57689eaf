// The service in a process of its own, for benchmarks that measure the process (memory, CPU) apart from
// the load generator: started by `startServiceProcess` (support.ts) with `--expose-gc`, it takes its
// environment from BENCH_SERVICE_ENV and answers the parent's messages over IPC.
import { readFileSync } from 'node:fs';
import { startBenchService } from './support.js';

export interface ProcessMemory {
  /** VmRSS and VmHWM from /proc/self/status, bytes */
  rss: number;
  peakRss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

function memory(): ProcessMemory {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const m = process.memoryUsage();
  return {
    rss: kib('VmRSS'),
    peakRss: kib('VmHWM'),
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('service-process needs --expose-gc');

const service = await startBenchService(JSON.parse(process.env.BENCH_SERVICE_ENV ?? '{}'));
process.send!({ type: 'ready', address: service.address });

process.on('message', async (m: { type: string }) => {
  if (m.type === 'memory') {
    // twice: the first pass runs finalizers that free more on the second
    gc();
    await new Promise((r) => setTimeout(r, 100));
    gc();
    process.send!({ type: 'memory', memory: memory() });
  }
  if (m.type === 'stop') {
    await service.stop();
    // anything the service left open must not keep the process (and the parent's wait) alive
    process.send!({ type: 'stopped' }, () => process.exit(0));
  }
});
