import { isIP } from 'node:net';
import { z } from 'zod';

// The environment (README, Configuration) as one schema. Parsing happens once at start-up; a bad
// value stops the process with one line naming the variable.

const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
const minutesOf = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

export interface TimeWindow {
  /** minutes after local midnight */
  start: number;
  end: number;
}

export interface OfficeHours extends TimeWindow {
  /** ISO weekdays, 1 = Monday … 7 = Sunday */
  days: number[];
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const optionalString = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string())
  .optional()
  .transform((s) => (s === '' ? undefined : s));

/** An HH:MM-HH:MM window in BUSINESS_TZ (it may wrap past midnight); empty: none. */
const timeWindow = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx): TimeWindow | null => {
      const v = s.trim();
      if (v === '') return null;
      const m = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(v);
      if (!m || !hhmm.test(m[1]!) || !hhmm.test(m[2]!)) {
        ctx.addIssue({ code: 'custom', message: `expected HH:MM-HH:MM or empty, got "${v}"` });
        return z.NEVER;
      }
      return { start: minutesOf(m[1]!), end: minutesOf(m[2]!) };
    });

/** Comma-separated calendar dates (YYYY-MM-DD); empty: none. */
const dateList = z
  .string()
  .default('')
  .transform((s, ctx): string[] => {
    const dates = s
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d !== '');
    for (const d of dates) {
      const real = /^\d{4}-\d{2}-\d{2}$/.test(d) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
      if (!real) {
        ctx.addIssue({
          code: 'custom',
          message: `expected YYYY-MM-DD dates separated by commas, got "${d}"`,
        });
        return z.NEVER;
      }
    }
    return dates;
  });

const officeHours = z
  .string()
  .default('Mon-Fri 08:00-16:00')
  .transform((s, ctx): OfficeHours => {
    const m = /^([A-Za-z]{3})(?:-([A-Za-z]{3}))?\s+(\d\d:\d\d)-(\d\d:\d\d)$/.exec(s.trim());
    const from = m ? WEEKDAYS.indexOf(m[1]!.toLowerCase()) : -1;
    const to = m ? (m[2] ? WEEKDAYS.indexOf(m[2].toLowerCase()) : from) : -1;
    if (!m || from < 0 || to < 0 || !hhmm.test(m[3]!) || !hhmm.test(m[4]!)) {
      ctx.addIssue({ code: 'custom', message: `expected like "Mon-Fri 08:00-16:00", got "${s}"` });
      return z.NEVER;
    }
    const days: number[] = [];
    for (let d = from; ; d = (d + 1) % 7) {
      days.push(d + 1);
      if (d === to) break;
    }
    return { days, start: minutesOf(m[3]!), end: minutesOf(m[4]!) };
  });

/**
 * WHATSAPP_TIER: WhatsApp's messaging limit, unique users reached outside a service window in a rolling 24 h
 * (Meta's tiers: 250, 2000, 10000, 100000, unlimited), or any other whole number. null: unlimited.
 */
const messagingTier = z
  .string()
  .default('unlimited')
  .transform((s, ctx): number | null => {
    const v = s.trim().toLowerCase();
    if (v === '' || v === 'unlimited') return null;
    if (!/^[0-9]+$/.test(v) || Number(v) < 1) {
      ctx.addIssue({
        code: 'custom',
        message: `expected 250, 2000, 10000, 100000, unlimited or a number, got "${s}"`,
      });
      return z.NEVER;
    }
    return Number(v);
  });

/** the names proxy-addr (Fastify's trustProxy) knows for the usual private ranges */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const isProxyAddress = (s: string): boolean => {
  if (PROXY_RANGES.has(s)) return true;
  const [address = '', prefix, ...rest] = s.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
};

/**
 * TRUST_PROXY, as Fastify's trustProxy takes it: the proxies' addresses and CIDR ranges, comma-separated
 * (their X-Forwarded-For is believed, anyone else's ignored), or `true` (anyone's: only where nothing but
 * the proxy can reach the service). Unset or `false`: the socket's address. A hop count is refused, as
 * Fastify refuses it: it cannot tell the proxy from a client that sends the header itself.
 */
const trustProxy = optionalString.transform((s, ctx): boolean | string[] => {
  const v = s?.toLowerCase();
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  const list = v
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const bad = list.find((a) => !isProxyAddress(a));
  if (bad !== undefined || list.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected true, false or the proxies' addresses/CIDRs separated by commas, got "${bad ?? s}"`,
    });
    return z.NEVER;
  }
  return list;
});

const timeZone = z
  .string()
  .default('Asia/Jakarta')
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not an IANA time zone' },
  );

export const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
        .optional(),
    ),
    REDIS_URL: optionalString.pipe(
      z
        .string()
        .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
        .optional(),
    ),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _')
      .default('tagih'),
    WHATSAPP_API_URL: z.url().default('https://graph.facebook.com'),
    WHATSAPP_API_VERSION: z
      .string()
      .regex(/^v\d+\.\d+$/, 'must look like v23.0')
      .default('v23.0'),
    WHATSAPP_PHONE_NUMBER_ID: optionalString,
    WHATSAPP_ACCESS_TOKEN: optionalString,
    WHATSAPP_APP_SECRET: optionalString,
    WHATSAPP_VERIFY_TOKEN: optionalString,
    WHATSAPP_MPS: z.coerce.number().int().min(1).max(1000).default(80),
    WHATSAPP_SEND_CONCURRENCY: z.coerce.number().int().min(1).max(1000).optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
    OUTBOUND_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    WHATSAPP_TIER: messagingTier,
    DATA_KEY: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    ADMIN_API_KEY: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    BUSINESS_TZ: timeZone,
    QUIET_HOURS: timeWindow('20:00-08:00'),
    OFFICE_HOURS: officeHours,
    DATA_DIR: z.string().min(1).default('./.data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    WEBHOOK_SENDER_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(60),
    API_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    PAGES_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    TRUST_PROXY: trustProxy,
    CAMPAIGN_HOLIDAYS: dateList,
    CAMPAIGN_FRIDAY_PAUSE: timeWindow(''),
    PRICE_IDR_UTILITY: z.coerce.number().int().min(0).default(410),
    PRICE_IDR_MARKETING: z.coerce.number().int().min(0).default(675),
    PRICE_IDR_SERVICE: z.coerce.number().int().min(0).default(410),
    HANDOFF_OVERDUE_MINUTES: z.coerce.number().int().min(1).default(30),
    HANDOFF_IDLE_HOURS: z.coerce.number().positive().default(24),
  })
  .superRefine((env, ctx) => {
    if (env.WHATSAPP_ACCESS_TOKEN) {
      for (const name of [
        'WHATSAPP_APP_SECRET',
        'WHATSAPP_VERIFY_TOKEN',
        'WHATSAPP_PHONE_NUMBER_ID',
      ] as const) {
        if (!env[name])
          ctx.addIssue({ code: 'custom', path: [name], message: 'required when a token is set' });
      }
    }
    if (env.DATABASE_URL && !env.DATA_KEY) {
      ctx.addIssue({ code: 'custom', path: ['DATA_KEY'], message: 'required with DATABASE_URL' });
    }
  });

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  databasePoolSize: number;
  redisUrl?: string;
  /** how often queued messages whose job Redis lost (a restart without persistence) are looked for */
  outboundSweepSeconds: number;
  /** start of every Redis key (queues, send log, rate limits, state): processes sharing it share them */
  redisPrefix: string;
  dataDir: string;
  logLevel: string;
  whatsapp: {
    apiUrl: string;
    apiVersion: string;
    phoneNumberId?: string;
    accessToken?: string;
    appSecret?: string;
    verifyToken?: string;
    mps: number;
    /** sends in flight per process: the rate one process reaches is about this ÷ the Cloud API's latency */
    sendConcurrency: number;
    /** WHATSAPP_TIER: unique recipients outside the 24-hour window per rolling 24 h; null: unlimited */
    messagingLimit: number | null;
  };
  dataKey?: string;
  adminApiKey?: string;
  businessTz: string;
  quietHours: TimeWindow | null;
  officeHours: OfficeHours;
  rateLimits: {
    /** messages one sender may have handled in a sliding minute */
    webhookPerSenderPerMinute: number;
    /** API requests per key a minute; requests without a valid key count per client address */
    apiPerMinute: number;
    /** page loads (inbox, dashboard and their files) per client address a minute */
    pagesPerMinute: number;
  };
  /** Fastify's trustProxy: whose X-Forwarded-For is believed for the client address */
  trustProxy: boolean | string[];
  campaigns: {
    /** national holidays (YYYY-MM-DD in BUSINESS_TZ): campaign messages wait for the next day */
    holidays: string[];
    /** on Fridays, campaign messages wait for the end of this window */
    fridayPause: TimeWindow | null;
    /** IDR a delivered message costs, by Meta's pricing category (the rate card, configurable) */
    priceIdr: { utility: number; marketing: number; service: number };
  };
  handoff: {
    /** a handoff waiting longer than this is overdue (queue and /metrics) */
    overdueMinutes: number;
    /** an open handoff where nobody has written for this long returns to the bot */
    idleHours: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError whose message is one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL,
    outboundSweepSeconds: e.OUTBOUND_SWEEP_SECONDS,
    redisPrefix: e.REDIS_PREFIX,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    whatsapp: {
      apiUrl: e.WHATSAPP_API_URL.replace(/\/+$/, ''),
      apiVersion: e.WHATSAPP_API_VERSION,
      phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID,
      accessToken: e.WHATSAPP_ACCESS_TOKEN,
      appSecret: e.WHATSAPP_APP_SECRET,
      verifyToken: e.WHATSAPP_VERIFY_TOKEN,
      mps: e.WHATSAPP_MPS,
      sendConcurrency: e.WHATSAPP_SEND_CONCURRENCY ?? defaultSendConcurrency(e.WHATSAPP_MPS),
      messagingLimit: e.WHATSAPP_TIER,
    },
    dataKey: e.DATA_KEY,
    adminApiKey: e.ADMIN_API_KEY,
    businessTz: e.BUSINESS_TZ,
    quietHours: e.QUIET_HOURS,
    officeHours: e.OFFICE_HOURS,
    rateLimits: {
      webhookPerSenderPerMinute: e.WEBHOOK_SENDER_RATE_PER_MINUTE,
      apiPerMinute: e.API_RATE_PER_MINUTE,
      pagesPerMinute: e.PAGES_RATE_PER_MINUTE,
    },
    trustProxy: e.TRUST_PROXY,
    campaigns: {
      holidays: e.CAMPAIGN_HOLIDAYS,
      fridayPause: e.CAMPAIGN_FRIDAY_PAUSE,
      priceIdr: {
        utility: e.PRICE_IDR_UTILITY,
        marketing: e.PRICE_IDR_MARKETING,
        service: e.PRICE_IDR_SERVICE,
      },
    },
    handoff: { overdueMinutes: e.HANDOFF_OVERDUE_MINUTES, idleHours: e.HANDOFF_IDLE_HOURS },
  };
}

/**
 * Sends in flight per process when WHATSAPP_SEND_CONCURRENCY is unset: a quarter second of the cap, at
 * least 16 and at most 128. Enough to reach the cap against a Cloud API answering in up to ~250 ms; no more,
 * since sends past the campaign guard wait for their slots, and a pause cannot call those back. More in
 * flight also makes the sender's batches larger: measured on a 12,000-reminder blast on 2 cores, 16 gave
 * 457 messages/s at 3.2 ms of CPU a message, 128 gave 890/s at 1.3 ms.
 */
export function defaultSendConcurrency(mps: number): number {
  return Math.min(128, Math.max(16, Math.ceil(mps / 4)));
}
