// npm run bench:import-stall [-- --mb 20] [--every 20]
//
// What a large import does to everyone else: a `--mb` MB CSV of participants (the demo's generator: real
// name lengths, phone forms, languages) posted in one request to the service started as production starts
// it, while a thread of its own asks GET /healthz every `--every` ms and times each answer. The service's
// event loop is the one shared resource: while an import holds it, /healthz and the webhooks wait.
// Baseline, same run: the same probe against the idle service for 3 s before the import.
import { Worker } from 'node:worker_threads';
import { generateSeed } from '../src/demo/seed.js';
import { machineLine, numberArg, percentile, servers, startBenchRun } from './support.js';

const megabytes = numberArg('mb', 20);
const everyMs = numberArg('every', 20);
const { databaseUrl, redisUrl } = servers('import-stall');

const COLUMNS = ['kpj', 'name', 'phone', 'birthDate', 'category', 'language'] as const;
const cell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** A CSV of at least `bytes` bytes: the generator's participants, repeated with fresh kpjs when needed. */
function registerCsv(bytes: number): { text: string; rows: number } {
  const people = generateSeed({
    size: 20_000,
    seed: 3,
    today: new Date().toISOString().slice(0, 10),
    timeZone: 'Asia/Jakarta',
  }).participants;
  const lines = [COLUMNS.join(',')];
  let size = lines[0]!.length + 2;
  for (let i = 0; size < bytes; i++) {
    const p = people[i % people.length]!;
    const row = { ...p, kpj: String(70_000_000_000 + i), language: p.language ?? '' };
    const line = COLUMNS.map((c) => cell(String(row[c]))).join(',');
    lines.push(line);
    size += line.length + 2;
  }
  return { text: `${lines.join('\r\n')}\r\n`, rows: lines.length - 1 };
}

/** Asks /healthz every `everyMs` from a thread of its own until stopped; answers the latencies in ms. */
function probe(url: string) {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const latencies = [];
     let stop = false;
     parentPort.on('message', () => { stop = true; });
     (async () => {
       while (!stop) {
         const t = performance.now();
         const res = await fetch(workerData.url);
         await res.text();
         latencies.push(performance.now() - t);
         await new Promise((r) => setTimeout(r, workerData.everyMs));
       }
       parentPort.postMessage(latencies);
     })();`,
    { eval: true, workerData: { url, everyMs } },
  );
  return {
    stop: () =>
      new Promise<number[]>((resolve) => {
        worker.once('message', (latencies: number[]) => {
          void worker.terminate();
          resolve(latencies);
        });
        worker.postMessage('stop');
      }),
  };
}

const describe = (latencies: number[]) =>
  `${latencies.length} probes, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(0)} ms`;

const csv = registerCsv(megabytes * 1_000_000);
const run = await startBenchRun({ databaseUrl, redisUrl });
try {
  const health = `${run.service.address}/healthz`;
  const idle = probe(health);
  await new Promise((r) => setTimeout(r, 3000));
  const baseline = await idle.stop();

  const during = probe(health);
  const started = performance.now();
  const res = await fetch(`${run.service.address}/api/participants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${run.adminKey}`, 'content-type': 'text/csv' },
    body: csv.text,
  });
  const answer = (await res.json()) as { created?: number; rejected?: unknown[] };
  const seconds = (performance.now() - started) / 1000;
  const loaded = await during.stop();

  console.log(
    `import of a ${(csv.text.length / 1e6).toFixed(1)} MB CSV (${csv.rows.toLocaleString('en')} rows) in one request: ` +
      `HTTP ${res.status}, created ${answer.created ?? '?'}, rejected ${answer.rejected?.length ?? '?'}, ${seconds.toFixed(1)} s; ${machineLine()}`,
  );
  console.log(`  /healthz idle (baseline):  ${describe(baseline)}`);
  console.log(`  /healthz during the import: ${describe(loaded)}`);
  console.log(`  ratio of the worst answer: ${(Math.max(...loaded) / Math.max(...baseline)).toFixed(1)}`);
} finally {
  await run.stop();
}
