import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvBodyError, readCsv } from '../../../src/participants/csv.js';

const read = (chunks: string[], max = 1024 * 1024) =>
  readCsv(Readable.from(chunks.map((c) => Buffer.from(c))), max);

describe('readCsv', () => {
  it('keeps quoted commas and doubled quotes inside a field', async () => {
    const table = await read(['kpj,name\n12345678901,"Siti ""Ani"", Rahayu"\n']);
    expect(table.header).toEqual(['kpj', 'name']);
    expect(table.rows).toEqual([['12345678901', 'Siti "Ani", Rahayu']]);
  });

  it('drops a byte-order mark so the first column keeps its name', async () => {
    const table = await read(['\ufeffkpj,name\r\n12345678901,Siti\r\n']);
    expect(table.header).toEqual(['kpj', 'name']);
  });

  it('reads semicolon-separated files, as Excel writes them in an Indonesian locale', async () => {
    const table = await read(['\ufeffkpj;name;amount\r\n12345678901;"Siti; Ani";36800\r\n']);
    expect(table.header).toEqual(['kpj', 'name', 'amount']);
    expect(table.rows).toEqual([['12345678901', 'Siti; Ani', '36800']]);
  });

  it('keeps a comma file a comma file when a name holds a semicolon', async () => {
    const table = await read(['kpj,name\n12345678901,Siti; Ani\n']);
    expect(table.rows).toEqual([['12345678901', 'Siti; Ani']]);
  });

  it('copes with a header split across chunks and skips blank lines', async () => {
    const table = await read(['kp', 'j,na', 'me\n1234567', '8901,Siti\n\n\n22222222222,Budi']);
    expect(table.header).toEqual(['kpj', 'name']);
    expect(table.rows).toEqual([
      ['12345678901', 'Siti'],
      ['22222222222', 'Budi'],
    ]);
  });

  it('accepts a bare quote inside an unquoted name', async () => {
    const table = await read(['kpj,name\n12345678901,Siti "Ani" Rahayu\n']);
    expect(table.rows).toEqual([['12345678901', 'Siti "Ani" Rahayu']]);
  });

  it('answers 413 past the byte limit', async () => {
    const err = await read(['kpj,name\n', `${'1'.repeat(100)}\n`], 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsvBodyError);
    expect((err as CsvBodyError).statusCode).toBe(413);
  });

  it('answers 400 for an empty body', async () => {
    const err = await read(['']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsvBodyError);
    expect((err as CsvBodyError).statusCode).toBe(400);
  });

  it('reports a broken quote by line, without quoting the field', async () => {
    const err = await read(['kpj,name,phone\n12345678901,"Siti,081234567890\n']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsvBodyError);
    expect((err as CsvBodyError).statusCode).toBe(400);
    expect((err as Error).message).not.toContain('0812');
  });
});
