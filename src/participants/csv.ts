import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';

/** A CSV body as read: the header as written (BOM removed) and the data rows, each as its cells. */
export class CsvTable {
  constructor(
    readonly header: string[],
    readonly rows: string[][],
  ) {}
}

export class CsvBodyError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'CsvBodyError';
  }
}

// Spreadsheets in an Indonesian locale export with ';' (the comma is the decimal separator there), so the
// delimiter is read off the header line, which holds only column names and no quoted text.
function sniffDelimiter(headerLine: string): string {
  const count = (ch: string) => headerLine.split(ch).length - 1;
  const candidates = [',', ';', '\t'];
  let best = ',';
  for (const ch of candidates) if (count(ch) > count(best)) best = ch;
  return best;
}

// One record this long means the delimiter or a quote went wrong; stopping there keeps memory bounded.
const MAX_RECORD_BYTES = 64 * 1024;

/**
 * Reads a CSV request body as it streams in, so a large import is never held twice in memory.
 * Enforces maxBytes itself because Fastify leaves the body limit to parsers that take the raw stream.
 */
export async function readCsv(source: AsyncIterable<Buffer | string>, maxBytes: number): Promise<CsvTable> {
  const iterator = source[Symbol.asyncIterator]();
  let total = 0;
  const next = async (): Promise<Buffer | null> => {
    const r = await iterator.next();
    if (r.done) return null;
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    total += chunk.length;
    if (total > maxBytes) throw new CsvBodyError(`body larger than ${maxBytes} bytes`, 413);
    return chunk;
  };

  // Hold back the first chunks until the header line is complete, to choose the delimiter.
  const head: Buffer[] = [];
  let ended = false;
  for (;;) {
    const chunk = await next();
    if (!chunk) {
      ended = true;
      break;
    }
    head.push(chunk);
    if (chunk.includes(0x0a) || head.reduce((n, b) => n + b.length, 0) > MAX_RECORD_BYTES) break;
  }
  const headText = Buffer.concat(head).toString('utf8');
  const delimiter = sniffDelimiter(headText.split(/\r?\n/, 1)[0] ?? '');

  async function* chunks(): AsyncGenerator<Buffer> {
    yield* head;
    if (ended) return;
    for (let chunk = await next(); chunk; chunk = await next()) yield chunk;
  }

  const records: string[][] = [];
  try {
    await pipeline(
      Readable.from(chunks()),
      parse({
        bom: true,
        delimiter,
        trim: true,
        skip_empty_lines: true,
        relax_quotes: true,
        relax_column_count: true,
        max_record_size: MAX_RECORD_BYTES,
      }),
      async (rows: AsyncIterable<string[]>) => {
        for await (const row of rows) records.push(row);
      },
    );
  } catch (error) {
    // csv-parse messages quote the offending field, which may be a name or a phone number.
    if (error instanceof CsvError) {
      const line = typeof error.lines === 'number' ? error.lines : undefined;
      throw new CsvBodyError(`CSV could not be read (${error.code}${line ? ` at line ${line}` : ''})`, 400);
    }
    throw error;
  }

  const [header, ...rows] = records;
  if (!header) throw new CsvBodyError('CSV is empty: a header row naming the columns is required', 400);
  return new CsvTable(header, rows);
}
