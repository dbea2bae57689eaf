import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const production = {
  DATABASE_URL: 'postgres://u@db:5432/tagih',
  REDIS_URL: 'redis://cache:6379',
  DATA_KEY: 'k'.repeat(32),
  WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
  WHATSAPP_ACCESS_TOKEN: 'EAAG-token',
  WHATSAPP_APP_SECRET: 'app-secret',
  WHATSAPP_VERIFY_TOKEN: 'verify-me',
};

const failure = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('configuration', () => {
  it('gives the documented defaults with an empty environment (embedded mode)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      redisUrl: undefined,
      redisPrefix: 'tagih',
      businessTz: 'Asia/Jakarta',
      quietHours: { start: 20 * 60, end: 8 * 60 },
      officeHours: { days: [1, 2, 3, 4, 5], start: 8 * 60, end: 16 * 60 },
      whatsapp: { apiUrl: 'https://graph.facebook.com', apiVersion: 'v23.0', mps: 80 },
    });
  });

  it('reads a full production environment', () => {
    const config = loadConfig({ ...production, WHATSAPP_MPS: '250', PORT: '8080', QUIET_HOURS: '' });
    expect(config.whatsapp).toMatchObject({ mps: 250, accessToken: 'EAAG-token', appSecret: 'app-secret' });
    expect(config.port).toBe(8080);
    expect(config.quietHours).toBeNull();
    expect(loadConfig({ ...production, REDIS_PREFIX: 'tagih-blitar' }).redisPrefix).toBe('tagih-blitar');
  });

  it('reads the optional campaign windows', () => {
    const config = loadConfig({
      CAMPAIGN_FRIDAY_PAUSE: '11:30-13:00',
      CAMPAIGN_HOLIDAYS: '2026-12-25, 2027-01-01',
    });
    expect(config.campaigns.fridayPause).toEqual({ start: 11 * 60 + 30, end: 13 * 60 });
    expect(config.campaigns.holidays).toEqual(['2026-12-25', '2027-01-01']);
    expect(loadConfig({}).campaigns.fridayPause).toBeNull();
  });

  it('reads the Redis key prefix, tagih by default', () => {
    expect(loadConfig({}).redisPrefix).toBe('tagih');
    expect(loadConfig({ ...production, REDIS_PREFIX: 'tagih-staging' }).redisPrefix).toBe('tagih-staging');
  });

  it('keeps a quarter second of the cap in flight unless told (16 to 128), and takes what it is told', () => {
    expect(loadConfig({}).whatsapp.sendConcurrency).toBe(20);
    expect(loadConfig({ WHATSAPP_MPS: '20' }).whatsapp.sendConcurrency).toBe(16);
    expect(loadConfig({ WHATSAPP_MPS: '1000' }).whatsapp.sendConcurrency).toBe(128);
    expect(
      loadConfig({ WHATSAPP_MPS: '1000', WHATSAPP_SEND_CONCURRENCY: '8' }).whatsapp.sendConcurrency,
    ).toBe(8);
  });

  it('believes X-Forwarded-For only as TRUST_PROXY says: not at all, from anyone, or from these proxies', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,fd00::/8, loopback' }).trustProxy).toEqual([
      '10.0.0.5',
      '10.1.0.0/16',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('reads office hours that wrap past Sunday', () => {
    expect(loadConfig({ OFFICE_HOURS: 'Sat-Mon 09:00-12:00' }).officeHours.days).toEqual([6, 7, 1]);
  });

  it.each([
    [{ WHATSAPP_MPS: 'fast' }, 'WHATSAPP_MPS'],
    [{ WHATSAPP_MPS: '0' }, 'WHATSAPP_MPS'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ REDIS_PREFIX: 'a:b' }, 'REDIS_PREFIX'],
    [{ REDIS_PREFIX: '' }, 'REDIS_PREFIX'],
    [{ REDIS_PREFIX: 'tagih:prod' }, 'REDIS_PREFIX'],
    [{ BUSINESS_TZ: 'Mars/Olympus' }, 'BUSINESS_TZ'],
    [{ QUIET_HOURS: '8pm-8am' }, 'QUIET_HOURS'],
    [{ OFFICE_HOURS: 'weekdays' }, 'OFFICE_HOURS'],
    [{ WHATSAPP_API_VERSION: '23' }, 'WHATSAPP_API_VERSION'],
    [{ ...production, DATA_KEY: 'short' }, 'DATA_KEY'],
    [{ ...production, DATA_KEY: '' }, 'DATA_KEY'],
    [{ ...production, WHATSAPP_APP_SECRET: '' }, 'WHATSAPP_APP_SECRET'],
    [{ ...production, WHATSAPP_VERIFY_TOKEN: '' }, 'WHATSAPP_VERIFY_TOKEN'],
    [{ ADMIN_API_KEY: 'short' }, 'ADMIN_API_KEY'],
    [{ CAMPAIGN_FRIDAY_PAUSE: 'noon' }, 'CAMPAIGN_FRIDAY_PAUSE'],
    [{ CAMPAIGN_HOLIDAYS: '2026-12-25,2026-02-30' }, 'CAMPAIGN_HOLIDAYS'],
    [{ WHATSAPP_TIER: 'gold' }, 'WHATSAPP_TIER'],
    [{ WHATSAPP_SEND_CONCURRENCY: '0' }, 'WHATSAPP_SEND_CONCURRENCY'],
    [{ HANDOFF_IDLE_HOURS: '-1' }, 'HANDOFF_IDLE_HOURS'],
    [{ TRUST_PROXY: 'yes' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '1' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ PAGES_RATE_PER_MINUTE: '0' }, 'PAGES_RATE_PER_MINUTE'],
  ])('refuses %o with one line naming %s', (env, variable) => {
    const message = failure(env as Record<string, string>);
    expect(message).toContain(variable);
    expect(message.split('\n')).toHaveLength(1);
  });
});
