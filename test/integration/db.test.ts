import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { createTestDatabase, hasServers, type TestDatabase } from '../support/servers.js';

describe.skipIf(!hasServers)('database on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.close());

  it('applies every migration', async () => {
    const rows = await database.db.execute(sql`select count(*)::int as n from participants`);
    expect(rows).toBeDefined();
    await database.ping();
  });
});

describe('database on PGlite (embedded mode)', () => {
  it('runs the same schema in memory', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    await database.db.execute(
      sql`insert into participants (kpj, name, wa_id, birth_date_hash, category) values ('12345678901', 'Siti', '6281234567890', 'h', 'BPU')`,
    );
    const result = await database.db.query.participants.findFirst();
    expect(result?.kpj).toBe('12345678901');
    await expect(
      database.db.execute(
        sql`insert into participants (kpj, name, wa_id, birth_date_hash, category) values ('123', 'X', '62812', 'h', 'BPU')`,
      ),
    ).rejects.toThrow();
    await database.close();
  });
});
