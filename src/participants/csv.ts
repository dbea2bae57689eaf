import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CsvError, parse } from 'csv-parse';
import { AppError, msg } from '../errors/index.js';

/** A CSV body as read: the header as written (BOM removed) and the data rows, each as its cells. */
export class CsvTable {
  constructor(
    readonly header: string[],
    readonly rows: string[][],
  ) {}
}

/** A CSV body that cannot be read: too large, too many rows, broken, or empty. */
export class CsvBodyError extends AppError {}

// Spreadsheets in an Indonesian locale export with ';' (the comma is the decimal separator there), so the
// delimiter is read off the header line, which holds only column names and no quoted text.
function sniffDelimiter(headerLine: string): string {
  const count = (ch: string) => headerLine.split(ch).length - 1;
  const candidates = [',', ';', '\t'];
  let best = ',';
  for (const ch of candidates) if (count(ch) > count(best)) best = ch;
  return best;
}

const tooManyRows = (max: number) =>
  new CsvBodyError('payload_too_large', msg('import.too_many_rows', { max }));

// One record this long means the delimiter or a quote went wrong; stopping there keeps memory bounded.
const MAX_RECORD_BYTES = 64 * 1024;
// The parser gets the body this much at a time, with a turn of the event loop in between: a body that
// came in one piece (or fast) is otherwise parsed in one go, holding /healthz and the webhooks.
const SLICE_BYTES = 64 * 1024;

/**
 * Reads a CSV request body as it streams in, so a large import is never held twice in memory.
 * Enforces maxBytes itself because Fastify leaves the body limit to parsers that take the raw stream, and
 * maxRows (data rows, the header not counted), stopping at the first row past it.
 */
export async function readCsv(
  source: AsyncIterable<Buffer | string>,
  maxBytes: number,
  maxRows = Number.POSITIVE_INFINITY,
): Promise<CsvTable> {
  const iterator = source[Symbol.asyncIterator]();
  let total = 0;
  const next = async (): Promise<Buffer | null> => {
    const r = await iterator.next();
    if (r.done) return null;
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    total += chunk.length;
    if (total > maxBytes)
      throw new CsvBodyError('payload_too_large', msg('csv.too_large', { max: maxBytes }));
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

  async function* slices(chunk: Buffer): AsyncGenerator<Buffer> {
    for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
      yield chunk.subarray(at, at + SLICE_BYTES);
      await nextTurn();
    }
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const chunk of head) yield* slices(chunk);
    if (ended) return;
    for (let chunk = await next(); chunk; chunk = await next()) yield* slices(chunk);
  }

  const records: string[][] = [];
  let overLimit = false;
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
        for await (const row of rows) {
          // the header and maxRows data rows; the rest of the body is not read
          if (records.length > maxRows) {
            overLimit = true;
            return;
          }
          records.push(row);
        }
      },
    );
  } catch (error) {
    if (overLimit) throw tooManyRows(maxRows);
    // csv-parse messages quote the offending field, which may be a name or a phone number.
    if (error instanceof CsvError) {
      const line = typeof error.lines === 'number' ? error.lines : undefined;
      throw new CsvBodyError('bad_request', msg('csv.unreadable', { code: error.code, line: line ?? null }));
    }
    throw error;
  }

  if (overLimit) throw tooManyRows(maxRows);
  const [header, ...rows] = records;
  if (!header) throw new CsvBodyError('bad_request', msg('csv.empty'));
  return new CsvTable(header, rows);
}
