import { sql } from 'drizzle-orm';
import { alias, PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { col, messages, statement } from '../../../src/db/index.js';

const render = (q: ReturnType<ReturnType<typeof statement>>) => new PgDialect().sqlToQuery(q);
const m = alias(messages, 'm');

describe('statement: SQL text built once, values in slots', () => {
  it('names come from the schema, each call gives its own values in order', () => {
    const update = statement(
      (status, ids) => sql`update ${messages} ${m} set ${col(messages.status)} = ${status}
        where ${m.id} in (select value::bigint from jsonb_array_elements_text(${ids}::jsonb))`,
    );
    const q = render(update('queued', '[1,2]'));
    expect(q.sql).toBe(`update "messages" "m" set "status" = $1
        where "m"."id" in (select value::bigint from jsonb_array_elements_text($2::jsonb))`);
    expect(q.params).toEqual(['queued', '[1,2]']);
    expect(render(update('sending', '[3]')).params).toEqual(['sending', '[3]']);
  });

  it('a slot used twice is given twice; a value outside a slot is refused', () => {
    const twice = statement((at) => sql`select ${at}::timestamptz, ${at}::timestamptz - interval '1 day'`);
    expect(render(twice('2026-11-10T00:00:00Z')).params).toEqual([
      '2026-11-10T00:00:00Z',
      '2026-11-10T00:00:00Z',
    ]);
    expect(() => statement(() => sql`select ${1}`)).toThrow(/slot/);
  });
});
