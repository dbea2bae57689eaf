import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

// One registry per app instance (not prom-client's global one), so tests can build many apps in one
// process and each /metrics shows only its own numbers.

export interface Metrics {
  registry: Registry;
  /** every send attempt's outcome: accepted, retryable, permanent, window_closed, skipped */
  sends: Counter<'outcome' | 'priority'>;
  /** Cloud API failures by error code ('timeout' and 'network' when there is no code) */
  sendFailures: Counter<'code'>;
  /** re-sends of a message whose earlier attempt timed out: the only duplicates the service can cause */
  possibleDuplicates: Counter;
  queueDepth: Gauge<'state'>;
  webhookDuration: Histogram<'outcome'>;
  webhookItems: Counter<'kind'>;
  /** campaigns paused by what the Cloud API said (a code, or a template billed in another category) */
  campaignAlerts: Counter<'reason'>;
  /** campaign reminders not sent because they no longer applied (paid, opted_out, handoff, cancelled, …) */
  campaignSkips: Counter<'reason'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'tagih_' });
  return {
    registry,
    sends: new Counter({
      name: 'tagih_sends_total',
      help: 'Send attempts to the Cloud API by outcome',
      labelNames: ['outcome', 'priority'],
      registers: [registry],
    }),
    sendFailures: new Counter({
      name: 'tagih_send_failures_total',
      help: 'Failed sends by Cloud API error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    possibleDuplicates: new Counter({
      name: 'tagih_send_possible_duplicates_total',
      help: 'Messages re-sent after an attempt whose answer was lost (timeout): possible duplicates',
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'tagih_queue_depth',
      help: 'Outbound messages in the queue by state',
      labelNames: ['state'],
      registers: [registry],
    }),
    webhookDuration: new Histogram({
      name: 'tagih_webhook_duration_seconds',
      help: 'Time from webhook arrival to its answer',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers: [registry],
    }),
    webhookItems: new Counter({
      name: 'tagih_webhook_items_total',
      help: 'Inbound messages and statuses by kind: message, status, duplicate, skipped (unreadable), malformed (cannot be stored)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    campaignAlerts: new Counter({
      name: 'tagih_campaign_alerts_total',
      help: 'Campaigns paused by the Cloud API: an error code, or category_mismatch',
      labelNames: ['reason'],
      registers: [registry],
    }),
    campaignSkips: new Counter({
      name: 'tagih_campaign_skips_total',
      help: 'Campaign reminders skipped because they no longer applied, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
