import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

// CONTRACT.md, Privacy: logs never hold a whole phone number, birth date, payment code or message text.
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
  '*.key',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // the query string can hold the webhook verify token; the path is enough to follow a request
      req: (req: FastifyRequest) => ({ method: req.method, url: req.url.split('?')[0], id: req.id }),
    },
  };
}
