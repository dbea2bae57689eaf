import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import pino from 'pino';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { describeError, loggerOptions } from '../../src/logger.js';

// The shapes the drivers really throw: drizzle's wrapper around postgres.js' error (production) or
// PGlite's (embedded mode), each carrying the statement's parameters in its own place.

const PHONE = '6281234567810';
const TEXT = 'tanggal lahir saya 17-08-1980';

/** postgres.js: the server's fields, and the statement and its parameters as hidden properties */
function postgresError(fields: Record<string, string>): Error {
  const err = new postgres.PostgresError({ severity: 'ERROR', severity_local: 'ERROR', ...fields } as never);
  Object.defineProperties(err, {
    query: { value: 'insert into "contacts" ("wa_id", "text") values ($1, $2)', enumerable: false },
    parameters: { value: [PHONE, TEXT], enumerable: false },
  });
  return err;
}

const wrapped = (cause: Error) =>
  new DrizzleQueryError('insert into "contacts" ("wa_id", "text") values ($1, $2)', [PHONE, TEXT], cause);

describe('errors in the log', () => {
  it('keep the class, SQLSTATE, constraint and tables of a failed statement, never its parameters', () => {
    const err = wrapped(
      postgresError({
        code: '23505',
        message: 'duplicate key value violates unique constraint "contacts_wa_id_key"',
        detail: `Key (wa_id)=(${PHONE}) already exists.`,
        table_name: 'contacts',
        constraint_name: 'contacts_wa_id_key',
        schema_name: 'public',
        routine: '_bt_check_unique',
      }),
    );
    const logged = describeError(err);
    expect(logged).toMatchObject({
      type: 'DrizzleQueryError',
      message: 'Failed query',
      tables: ['contacts'],
      cause: {
        type: 'PostgresError',
        code: '23505',
        message: 'duplicate key value violates unique constraint "contacts_wa_id_key"',
        table: 'contacts',
        constraint: 'contacts_wa_id_key',
      },
    });
    expect(JSON.stringify(logged)).not.toContain(PHONE);
    expect(JSON.stringify(logged)).not.toContain('17-08-1980');
  });

  it('drop a server message that may quote a value (a data exception, a RAISE)', () => {
    const bad = postgresError({ code: '22P02', message: `invalid input syntax for type bigint: "${PHONE}"` });
    expect(describeError(bad)).toMatchObject({ type: 'PostgresError', code: '22P02' });
    expect(JSON.stringify(describeError(bad))).not.toContain(PHONE);
    const raised = postgresError({ code: 'P0001', message: `no contact ${PHONE}` });
    expect(JSON.stringify(describeError(wrapped(raised)))).not.toContain(PHONE);
  });

  it('hold nothing of PGlite’s enumerable query and params', () => {
    const err = Object.assign(new Error('value too long for type character varying(20)'), {
      severity: 'ERROR',
      code: '22001',
      query: 'insert into contacts (wa_id) values ($1)',
      params: [PHONE],
      detail: TEXT,
    });
    const logged = JSON.stringify(describeError(err));
    expect(logged).toContain('22001');
    expect(logged).not.toContain(PHONE);
    expect(logged).not.toContain(TEXT);
  });

  it('mask numbers and dates in other errors’ messages, and keep their codes', () => {
    const err = Object.assign(new Error(`send to +62 812-3456-7810 failed on 17/08/1980`), {
      code: 'ECONNRESET',
      syscall: 'read',
    });
    expect(describeError(err)).toMatchObject({
      type: 'Error',
      code: 'ECONNRESET',
      syscall: 'read',
      message: 'send to [number] failed on [date]',
    });
    expect(describeError('Failed query: select 1\nparams: 6281234567810')).toEqual({
      type: 'string',
      message: 'Failed query',
    });
  });

  it('give a line logged with an error and no words of its own a message without the parameters', () => {
    const lines: string[] = [];
    const log = pino(
      loggerOptions('trace'),
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const err = wrapped(postgresError({ code: 'P0001', message: 'injected' }));
    log.error(err);
    log.warn({ err });
    log.child({ reqId: 'r1' }).error({ err }, err.message);
    log.info({ err: err.message }, 'as a string');
    const all = lines.join('');
    expect(lines).toHaveLength(4);
    expect(all).not.toContain(PHONE);
    expect(all).not.toContain(TEXT);
    expect(JSON.parse(lines[0]!).msg).toBe('DrizzleQueryError Failed query');
  });
});

describe('log fields', () => {
  it('never carry a wamid, which holds the recipient number in base64', () => {
    const wamid = `wamid.${Buffer.from(`\x1c\x18\r${PHONE}\x15\x02`).toString('base64')}`;
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    pino(loggerOptions('info'), sink).info({ messageId: 7, wamid }, 'outbound: accepted but not recorded');
    expect(lines.join('')).not.toContain(wamid.slice(6, 20));
    expect(lines.join('')).toContain('"messageId":7');
  });
});
