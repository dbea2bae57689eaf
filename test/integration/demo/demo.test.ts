import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_PERSONA, generateSeed } from '../../../src/demo/seed.js';

// `npm run demo` as a newcomer runs it: a fresh folder, no environment but PATH and HOME, nothing else
// installed. The demo must come up on its embedded defaults, seed, and answer through the API.

const ROOT = process.cwd();

describe('seed generator', () => {
  it('is deterministic, sized, and shaped like Blitar data', () => {
    const a = generateSeed({ size: 50, seed: 7, today: '2026-11-25', timeZone: 'Asia/Jakarta' });
    const b = generateSeed({ size: 50, seed: 7, today: '2026-11-25', timeZone: 'Asia/Jakarta' });
    expect(a).toEqual(b);
    expect(a.participants).toHaveLength(50);
    expect(a.participants[0]).toMatchObject({ kpj: DEMO_PERSONA.kpj, name: DEMO_PERSONA.name });
    expect(new Set(a.participants.map((p) => p.kpj)).size).toBe(50);
    for (const p of a.participants) expect(p.phone.replace(/\D/g, '')).toMatch(/^(0|62)8\d{10}$/);
    expect(new Set(a.participants.map((p) => p.category))).toEqual(new Set(['BPU', 'PU']));
    const paid = new Set(a.payments.map((p) => `${p.kpj}/${p.period}`));
    const arrears = a.participants.map(
      (p) =>
        a.bills.filter(
          (x) => x.kpj === p.kpj && x.dueDate < '2026-11-25' && !paid.has(`${x.kpj}/${x.period}`),
        ).length,
    );
    expect(Math.min(...arrears)).toBe(0);
    expect(Math.max(...arrears)).toBeLessThanOrEqual(6);
    expect(arrears[0]).toBe(2);
    expect(
      generateSeed({ size: 1000, seed: 1, today: '2026-11-25', timeZone: 'Asia/Jakarta' }).participants,
    ).toHaveLength(1000);
  });
});

describe('npm run demo from a clean folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagih-demo-'));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts on embedded defaults, seeds, and serves /healthz and the standing campaign', async () => {
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'src/demo.ts')],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: dir, PORT: port },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await expect.poll(() => out, { timeout: 40_000, interval: 200 }).toContain('Stop with Ctrl+C.');
    expect(out).toContain('Embedded mode');
    expect(out).toMatch(/seeded 300 synthetic participants/);
    expect(out).toContain('/inbox');
    const base = /running at (\S+)/.exec(out)?.[1];
    expect(base).toBeDefined();

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const { demoAdminKey } = JSON.parse(readFileSync(join(dir, '.data', 'secrets.json'), 'utf8')) as {
      demoAdminKey: string;
    };
    const res = await fetch(`${base}/api/campaigns/1`, {
      headers: { authorization: `Bearer ${demoAdminKey}` },
    });
    expect(res.status).toBe(200);
    const campaign = (await res.json()) as {
      name: string;
      status: string;
      schedule: unknown;
      audienceSize: number;
    };
    expect(campaign).toMatchObject({
      name: 'Pengingat iuran H-3',
      status: 'running',
      schedule: { dueDateOffsetDays: -3, time: '09:00' },
    });
    expect(campaign.audienceSize).toBeGreaterThan(0);
  }, 60_000);
});
