import type { FastifyRequest } from 'fastify';
import type { LogFn, LoggerOptions } from 'pino';

// Privacy: logs never hold a whole phone number, birth date, payment code or message text.
// Code that logs a number masks it first (maskPhone); these paths catch what slips through.
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  '*.phone',
  '*.waId',
  '*.wa_id',
  '*.to',
  '*.recipient',
  '*.contactKey',
  '*.birthDate',
  '*.birth_date',
  '*.paymentCode',
  '*.payment_code',
  '*.text',
  '*.body',
  '*.nik',
  // Meta's wamids carry the recipient's number (base64 of it follows `wamid.HBgN`)
  'wamid',
  '*.wamid',
  '*.key',
];

/**
 * An error as a log line may hold it: what failed and where, never the data it failed on. Drivers put the
 * data in many places (drizzle's message carries the statement and its parameters, postgres.js and PGlite
 * errors carry `parameters`/`params`, PostgreSQL's `detail` quotes the row), so only these fields pass.
 */
export interface LoggedError {
  /** the error's class */
  type: string;
  message?: string;
  /** SQLSTATE for a PostgreSQL error, else a system code such as ECONNRESET */
  code?: string | number;
  severity?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  /** where in PostgreSQL's source the error was raised */
  routine?: string;
  /** the tables a failed statement names; never its text, which may hold literals */
  tables?: string[];
  syscall?: string;
  statusCode?: number;
  /** the call frames only: the first lines of a stack repeat the message */
  stack?: string;
  cause?: LoggedError;
  errors?: LoggedError[];
}

type ErrorLike = Error & Record<string, unknown>;

const isErrorLike = (v: unknown): v is ErrorLike =>
  typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** a PostgreSQL error: postgres.js names its fields table_name…, PGlite (pg-protocol) table… */
const isServerError = (e: ErrorLike): boolean =>
  typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';

/** an error that carries a statement (drizzle's wrapper, and the drivers' own errors, as properties) */
const carriesStatement = (e: ErrorLike): boolean => 'query' in e || 'params' in e || 'parameters' in e;

// SQLSTATE classes whose messages name only objects (tables, constraints, columns), never values:
// connection, integrity (values go to `detail`, which is never logged), rollback, resources, operator,
// system, and syntax/access (except 42601, which quotes the text near the error). Data exceptions (22)
// quote the value; a trigger's RAISE (P0001) says whatever it was written to say.
const MESSAGE_NAMES_ONLY = /^(08|23|40|53|55|57|58|42(?!601))/;

/** the masked form of free text from outside our control: long digit runs and dates go */
export function maskData(s: string): string {
  return (
    s
      .replace(/Failed query:[\s\S]*/, 'Failed query')
      .replace(/\b(?:0?[1-9]|[12]\d|3[01])([-/.])(?:0?[1-9]|1[0-2])\1(?:19|20)\d\d\b/g, '[date]')
      // phones in any usual form, payment codes, KPJ and NIK numbers, DDMMYYYY; not addresses (dots)
      .replace(/\+?\d(?:[\s()-]*\d){7,}/g, '[number]')
      .slice(0, 500)
  );
}

// words that follow FROM, INTO or UPDATE without naming a table (`do update set`, `from lateral …`)
const NOT_TABLES = new Set(['set', 'select', 'lateral', 'only', 'values']);

/** Names after FROM, JOIN, INTO and UPDATE, once string literals are gone: identifiers cannot hold data. */
function tablesOf(statement: string): string[] | undefined {
  const bare = statement.replace(/\$(\w*)\$[\s\S]*?\$\1\$/g, ' ').replace(/'(?:[^']|'')*'/g, ' ');
  const name =
    /\b(?:from|join|into|update)\s+((?:"[^"]+"|[a-z_]\w*)(?:\.(?:"[^"]+"|[a-z_]\w*))?)(?![\w"(])/gi;
  const found = new Set<string>();
  for (const m of bare.matchAll(name)) {
    const table = m[1]!.replaceAll('"', '');
    if (!NOT_TABLES.has(table.toLowerCase())) found.add(table);
  }
  return found.size > 0 ? [...found] : undefined;
}

function framesOf(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined;
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  return frames.length > 0 ? frames.join('\n') : undefined;
}

function messageOf(e: ErrorLike): string | undefined {
  if (isServerError(e)) return MESSAGE_NAMES_ONLY.test(e.code as string) ? e.message : undefined;
  if (carriesStatement(e)) return 'Failed query';
  return maskData(e.message);
}

/** The one rule for errors in the log (pino's `err` serializer); see LoggedError. */
export function describeError(value: unknown, depth = 0): LoggedError {
  if (!isErrorLike(value)) {
    return { type: typeof value, ...(typeof value === 'string' ? { message: maskData(value) } : {}) };
  }
  const e = value;
  const server = isServerError(e);
  const query = typeof e.query === 'string' ? e.query : undefined;
  const code =
    typeof e.code === 'number' || (typeof e.code === 'string' && /^[\w.-]{1,40}$/.test(e.code))
      ? e.code
      : undefined;
  const described: LoggedError = {
    type: e.constructor?.name && e.constructor.name !== 'Object' ? e.constructor.name : (e.name ?? 'Error'),
    message: messageOf(e),
    code,
    ...(server
      ? {
          severity: text(e.severity),
          schema: text(e.schema_name ?? e.schema),
          table: text(e.table_name ?? e.table),
          column: text(e.column_name ?? e.column),
          constraint: text(e.constraint_name ?? e.constraint),
          routine: text(e.routine),
        }
      : {}),
    tables: query ? tablesOf(query) : undefined,
    syscall: text(e.syscall),
    statusCode: typeof e.statusCode === 'number' ? e.statusCode : undefined,
    stack: framesOf(e.stack),
  };
  if (depth < 4 && isErrorLike(e.cause)) {
    described.cause = describeError(e.cause, depth + 1);
    // postgres.js keeps the statement on its own error too: once is enough
    if (described.tables) delete described.cause.tables;
  }
  if (depth < 4 && Array.isArray(e.errors)) {
    described.errors = e.errors.slice(0, 5).map((inner) => describeError(inner, depth + 1));
  }
  for (const key of Object.keys(described) as (keyof LoggedError)[]) {
    if (described[key] === undefined) delete described[key];
  }
  return described;
}

/** What a log line says when it was given an error and no words of its own. */
export const errorHeadline = (err: unknown): string => {
  const d = describeError(err);
  return [d.type, d.code, d.message].filter(Boolean).join(' ');
};

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // the query string can hold the webhook verify token; the path is enough to follow a request
      req: (req: FastifyRequest) => ({ method: req.method, url: req.url.split('?')[0], id: req.id }),
      err: (err: unknown) => describeError(err),
    },
    hooks: {
      // pino (and Fastify) use an error's own message as the line's message when none is given, and
      // that message may carry a statement's parameters
      logMethod(args, method) {
        const [first, second, ...rest] = args as unknown[];
        const err = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
        if (!isErrorLike(err)) return method.apply(this, args);
        const fields = first instanceof Error ? { err: first } : first;
        const msg = typeof second === 'string' && second !== err.message ? second : errorHeadline(err);
        return method.apply(this, [fields, msg, ...rest] as Parameters<LogFn>);
      },
    },
  };
}
