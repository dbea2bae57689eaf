import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { isBadData, isTransient, TemporarilyUnavailableError } from '../../src/faults.js';

const pg = (code: string) =>
  Object.assign(new Error(`postgres ${code}`), { name: 'PostgresError', severity: 'ERROR', code });
/** as drizzle wraps a driver's error */
const wrapped = (cause: unknown) => Object.assign(new Error('Failed query: select 1\nparams: '), { cause });
const system = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('what kind of failure an error is', () => {
  it('knows a server away for a moment, wrapped or not', () => {
    for (const err of [
      wrapped(pg('57P01')),
      pg('08006'),
      pg('40P01'),
      wrapped(system('ECONNRESET')),
      system('CONNECTION_CLOSED'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error('Command timed out'),
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), {
        name: 'MaxRetriesPerRequestError',
      }),
      new TemporarilyUnavailableError('timed out waiting for a conversation lock'),
    ]) {
      expect(isTransient(err), String(err)).toBe(true);
      expect(isBadData(err), String(err)).toBe(false);
    }
  });

  it('knows one item that no server will store', () => {
    for (const err of [
      wrapped(pg('22009')),
      pg('22P05'),
      wrapped(pg('54001')),
      new RangeError('Invalid time value'),
    ]) {
      expect(isBadData(err), String(err)).toBe(true);
      expect(isTransient(err), String(err)).toBe(false);
    }
  });

  it('calls anything else neither: an unknown, retried and never dropped', () => {
    for (const err of [
      new TypeError('x is undefined'),
      pg('23505'),
      system('CONNECTION_ENDED'),
      Object.assign(new Error('22009'), { code: '22009' }),
      'a string',
      null,
    ]) {
      expect(isTransient(err), String(err)).toBe(false);
      expect(isBadData(err), String(err)).toBe(false);
    }
  });

  it("knows PGlite's errors as it knows PostgreSQL's (embedded mode stores what the server can)", async () => {
    const db = new PGlite();
    const fail = (query: string) =>
      db.query(query).then(
        () => undefined,
        (err: unknown) => err,
      );
    try {
      const badDate = await fail("select '300000-01-01'::timestamptz");
      const nul = await fail("select convert_from('\\x00'::bytea, 'UTF8')");
      for (const err of [badDate, nul]) {
        expect(isBadData(wrapped(err)), String(err)).toBe(true);
        expect(isTransient(err), String(err)).toBe(false);
      }
    } finally {
      await db.close();
    }
  });
});
