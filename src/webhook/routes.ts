import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../db/index.js';
import { AppError, msg } from '../errors/index.js';
import {
  createInboundRecorder,
  createStatusRecorder,
  type OnMalformed,
  type RecordedInbound,
} from '../messages/index.js';
import type { Metrics } from '../metrics.js';
import { type ParsedWebhook, parseWebhook, verifySignature } from '../whatsapp/index.js';
import type { SenderLimit } from './sender-limit.js';

export interface WebhookOptions {
  db: Db;
  metrics: Metrics;
  appSecret: string;
  verifyToken: string;
  /** messages per sender per minute; a delivery with a sender past it is answered 429 and Meta retries later */
  senderLimit: SenderLimit;
  /** runs after the 200 (the conversation engine); its failures are logged, never answered */
  onInbound?: (recorded: RecordedInbound[]) => Promise<void>;
  /** in-flight onInbound work, so that shutdown can wait for it */
  track?: (work: Promise<unknown>) => void;
}

declare module 'fastify' {
  interface FastifyRequest {
    webhook?: ParsedWebhook;
  }
}

// Meta's webhooks are small (a few KiB); a batch of statuses stays well under this.
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export const webhookRoutes: FastifyPluginAsync<WebhookOptions> = async (app, opts) => {
  // The signature covers the raw bytes as Meta sent them, so this scope keeps bodies as buffers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  app.get('/webhooks/whatsapp', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    if (q['hub.mode'] === 'subscribe' && q['hub.verify_token'] === opts.verifyToken && q['hub.challenge']) {
      return reply.code(200).type('text/plain').send(q['hub.challenge']);
    }
    throw new AppError('forbidden', msg('webhook.verify_token'));
  });

  // concurrent webhooks share statements under load (group commit): one round trip for many messages,
  // and one for many statuses
  const recorder = createInboundRecorder(opts.db);
  const statusRecorder = createStatusRecorder(opts.db);

  app.post(
    '/webhooks/whatsapp',
    {
      schema: { hide: true },
      preValidation: async (request) => {
        const raw = request.body;
        if (!Buffer.isBuffer(raw)) throw new AppError('bad_request', msg('webhook.empty'));
        const signature = request.headers['x-hub-signature-256'];
        if (!verifySignature(raw, typeof signature === 'string' ? signature : undefined, opts.appSecret)) {
          opts.metrics.webhookItems.inc({ kind: 'bad_signature' });
          throw new AppError('bad_signature', msg('webhook.signature'));
        }
        let json: unknown;
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new AppError('bad_request', msg('webhook.not_json'));
        }
        const parsed = parseWebhook(json);
        if (!parsed.ok) throw new AppError('bad_request', msg('webhook.invalid', { detail: parsed.error }));
        request.webhook = parsed.webhook;
      },
      // statuses come batched for many recipients and are never throttled; only messages count
      preHandler: async (request) => {
        const over = await opts.senderLimit.count(request.webhook!.messages).catch((err: unknown) => {
          // a limit that cannot be counted lets the message in: recording it matters more
          request.log.warn({ err }, 'webhook sender limit not counted');
          return 0;
        });
        if (over > 0) throw new AppError('rate_limited', msg('webhook.sender_limit'), { retryAfter: 60 });
      },
    },
    async (request, reply) => {
      const stop = opts.metrics.webhookDuration.startTimer();
      const webhook = request.webhook!;
      // An item no server can store does not hold back the rest: a message is kept without its content (its
      // sender is answered), a status left out. Counted, and logged by kind and error only (its content and
      // its wamid, which encodes the sender, stay out).
      let lostMessages = 0;
      const malformed: OnMalformed = (item, err, kept) => {
        if (item.kind === 'message' && !kept) lostMessages++;
        opts.metrics.webhookItems.inc({ kind: 'malformed' });
        request.log.warn(
          { item: item.kind, type: item.type, err },
          kept
            ? 'webhook item cannot be stored; kept without its content'
            : 'webhook item cannot be stored; left out',
        );
      };
      try {
        const fresh = await recorder.record(webhook.messages, malformed);
        const statuses = await statusRecorder.record(webhook.statuses, malformed);
        opts.metrics.webhookItems.inc({ kind: 'message' }, fresh.length);
        opts.metrics.webhookItems.inc(
          { kind: 'duplicate' },
          webhook.messages.length - fresh.length - lostMessages + statuses.duplicates,
        );
        opts.metrics.webhookItems.inc({ kind: 'status' }, statuses.recorded);
        opts.metrics.webhookItems.inc({ kind: 'skipped' }, webhook.skipped.length);
        if (webhook.skipped.length > 0)
          request.log.warn({ skipped: webhook.skipped }, 'webhook items skipped');
        stop({ outcome: 'ok' });
        if (fresh.length > 0 && opts.onInbound) {
          const work = opts
            .onInbound(fresh)
            .catch((err: unknown) =>
              request.log.error({ err }, 'conversation engine failed on an inbound message'),
            );
          opts.track?.(work);
        }
        return reply.code(200).send({ ok: true });
      } catch (err) {
        stop({ outcome: 'error' });
        // 5xx makes the Cloud API deliver again; recording is idempotent, so that is safe.
        request.log.error({ err }, 'failed to record webhook');
        throw new AppError('unavailable', msg('webhook.not_recorded'), { cause: err });
      }
    },
  );
};
