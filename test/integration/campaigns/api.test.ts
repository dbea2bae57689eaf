import { sql } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bills, campaigns } from '../../../src/db/index.js';
import { TEMPLATES, type TemplateDefinition } from '../../../templates/index.js';
import { adminHeaders, startTestApp, type TestApp } from '../../support/app.js';
import { seed } from './support.js';

const promo: TemplateDefinition = {
  name: 'promo_jht',
  category: 'marketing',
  languages: ['id'],
  bodyParameters: [{ field: 'participant.name', fill: (ctx) => ctx.participant.name }],
  quickReplyPayloads: [],
};

describe('campaigns API: create, dry run, audience', () => {
  let t: TestApp;
  const post = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/campaigns', headers: adminHeaders, payload });
  const base = { name: 'Pengingat', template: { name: 'iuran_reminder', language: 'id' } };
  const size = async (audience: Record<string, unknown>) => {
    const res = await post({ ...base, audience, dryRun: true });
    expect(res.statusCode).toBe(200);
    return res.json<{ audienceSize: number }>().audienceSize;
  };

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    t = await startTestApp();
    (TEMPLATES as Map<string, TemplateDefinition>).set(promo.name, promo);
  });
  afterAll(async () => {
    (TEMPLATES as Map<string, TemplateDefinition>).delete(promo.name);
    await t?.close();
    nock.enableNetConnect();
  });

  it('refuses an unknown template, a language it lacks, and marketing without the flag, with 400', async () => {
    const unknown = await post({ ...base, template: { name: 'iuran_lain', language: 'id' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().issues[0].path).toBe('body.template.name');
    const language = await post({
      ...base,
      template: { name: 'promo_jht', language: 'en' },
      allowMarketing: true,
    });
    expect(language.statusCode).toBe(400);
    const marketing = await post({ ...base, template: { name: 'promo_jht', language: 'id' } });
    expect(marketing.statusCode).toBe(400);
    expect(marketing.json().issues[0].path).toBe('body.allowMarketing');
    const allowed = await post({
      ...base,
      template: { name: 'promo_jht', language: 'id' },
      allowMarketing: true,
      dryRun: true,
    });
    expect(allowed.statusCode).toBe(200);
    const invalid = await post({ ...base, audience: { minArrearsMonths: 3, maxArrearsMonths: 1 } });
    expect(invalid.statusCode).toBe(400);
    const noKey = await t.app.inject({ method: 'POST', url: '/api/campaigns', payload: base });
    expect(noKey.statusCode).toBe(401);
  });

  it('answers a dry run with size, duration at the cap and cost, and creates nothing', async () => {
    await seed(t.database.db, 5, { category: 'PU' });
    const before = await t.database.db.select({ n: sql<number>`count(*)::int` }).from(campaigns);
    const res = await post({ ...base, audience: { category: 'PU' }, holdoutPercent: 20, dryRun: true });
    expect(res.statusCode).toBe(200);
    // 5 in the audience, 4 sendable after a 20% holdout; 80 mps; Rp410 a utility message
    expect(res.json()).toEqual({ audienceSize: 5, expectedDurationSeconds: 1, expectedCostIdr: 4 * 410 });
    const after = await t.database.db.select({ n: sql<number>`count(*)::int` }).from(campaigns);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('selects the audience by category, arrears months, periods and KPJ, never the opted out', async () => {
    const db = t.database.db;
    // today (2026 or later) the 2025 bills are past due: arrears months = unpaid bills past their due date
    const one = await seed(db, 2, { category: 'BPU' }, { period: '2025-01', dueDate: '2025-01-15' });
    const three = await seed(
      db,
      3,
      { category: 'BPU' },
      {
        period: '2025-02',
        dueDate: '2025-02-15',
        extra: [
          { period: '2025-03', dueDate: '2025-03-15' },
          { period: '2025-04', dueDate: '2025-04-15' },
        ],
      },
    );
    const optedOut = await seed(
      db,
      2,
      { category: 'BPU', optedOut: true },
      { period: '2025-01', dueDate: '2025-01-15' },
    );
    const paid = await seed(db, 1, { category: 'BPU' }, { period: '2025-01', dueDate: '2025-01-15' });
    await db.update(bills).set({ paidAt: new Date() }).where(sql`${bills.id} = ${paid[0]!.billId}`);

    expect(await size({ category: 'BPU', minArrearsMonths: 1 })).toBe(5);
    expect(await size({ category: 'BPU', minArrearsMonths: 2 })).toBe(3);
    expect(await size({ category: 'BPU', minArrearsMonths: 1, maxArrearsMonths: 1 })).toBe(2);
    expect(await size({ periods: ['2025-03'] })).toBe(3);
    expect(await size({ kpj: [one[0]!.kpj, three[0]!.kpj, optedOut[0]!.kpj, paid[0]!.kpj] })).toBe(2);

    const created = await post({ ...base, audience: { category: 'BPU', minArrearsMonths: 1 } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ status: 'draft', audienceSize: 5 });
    const id = created.json<{ id: number }>().id;
    const got = await t.app.inject({ method: 'GET', url: `/api/campaigns/${id}`, headers: adminHeaders });
    expect(got.json()).toMatchObject({ id, status: 'draft', audienceSize: 5, stats: { queued: 0, sent: 0 } });
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/campaigns/999999', headers: adminHeaders })).statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/campaigns/${id}/resume`, headers: adminHeaders }))
        .statusCode,
    ).toBe(409);
  });
});
