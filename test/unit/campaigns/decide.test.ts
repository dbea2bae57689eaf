import { describe, expect, it } from 'vitest';
import type { GuardFacts } from '../../../src/campaigns/repository/index.js';
import { decide, NEXT_DAY_TRIES, PAUSE_CODES } from '../../../src/campaigns/usecases/decide.js';
import { PAUSED, verdict } from '../../../src/campaigns/usecases/guard.js';
import type { GuardedMessage, Outcome } from '../../../src/outbound/index.js';

const now = new Date('2026-11-10T03:00:00Z');
const reminder = { attempts: 0, templateName: 'iuran_reminder', templateCategory: 'utility' as const };
const failed = (code: number | null, title: string | null = 'title', late = false): Outcome => ({
  kind: 'failed',
  code,
  title,
  late,
});

describe('decide: what a failure or a billed category means for a campaign', () => {
  it('131026 marks the number unreachable, whether the send or a later status said it', () => {
    expect(decide(failed(131026), reminder, now)).toEqual({ kind: 'unreachable' });
    expect(decide(failed(131026, 'x', true), reminder, now)).toEqual({ kind: 'unreachable' });
  });

  it('131049 sends the reminder again a day later, twice at most', () => {
    expect(decide(failed(131049), reminder, now)).toEqual({
      kind: 'retry',
      notBefore: new Date('2026-11-11T03:00:00Z'),
    });
    expect(decide(failed(131049), { ...reminder, attempts: NEXT_DAY_TRIES - 1 }, now).kind).toBe('retry');
    expect(decide(failed(131049), { ...reminder, attempts: NEXT_DAY_TRIES }, now)).toEqual({ kind: 'none' });
  });

  it('a code that will fail every next send too pauses the campaign with its reason and an alert', () => {
    for (const code of PAUSE_CODES) {
      expect(decide(failed(code, 'Spam rate limit hit'), reminder, now)).toEqual({
        kind: 'pause',
        reason: `WhatsApp error ${code}: Spam rate limit hit`,
        alert: String(code),
      });
    }
    expect(decide(failed(131048, null), reminder, now)).toMatchObject({
      reason: 'WhatsApp error 131048: no title',
    });
  });

  it('other failures, acceptances and skips change nothing for the campaign', () => {
    for (const outcome of [
      failed(131056),
      failed(null),
      failed(131047),
      { kind: 'accepted' } as const,
      { kind: 'skipped', reason: 'paid' } as const,
    ]) {
      expect(decide(outcome, reminder, now)).toEqual({ kind: 'none' });
    }
  });

  it('a category billed otherwise than the registry says pauses; the same one, or service, does not', () => {
    expect(decide({ kind: 'billed', category: 'marketing' }, reminder, now)).toEqual({
      kind: 'pause',
      reason: 'Meta billed template iuran_reminder as marketing; the registry says utility',
      alert: 'category_mismatch',
    });
    expect(decide({ kind: 'billed', category: 'marketing_lite' }, reminder, now).kind).toBe('pause');
    expect(decide({ kind: 'billed', category: 'utility' }, reminder, now)).toEqual({ kind: 'none' });
    expect(decide({ kind: 'billed', category: 'service' }, reminder, now)).toEqual({ kind: 'none' });
    expect(
      decide({ kind: 'billed', category: 'marketing' }, { ...reminder, templateCategory: 'marketing' }, now),
    ).toEqual({ kind: 'none' });
  });
});

describe('the campaign guard: a reminder just before it is sent', () => {
  const msg = (over: Partial<GuardedMessage<'campaign'>> = {}): GuardedMessage<'campaign'> => ({
    id: 9,
    origin: { kind: 'campaign', recipientId: 5, attempt: 0 },
    contactKey: '6281234567890',
    participantId: 3,
    priority: 'blast',
    status: 'queued',
    ...over,
  });
  const facts = (over: Partial<GuardFacts> = {}): GuardFacts => ({
    id: 5,
    status: 'queued',
    attempts: 0,
    skipReason: null,
    campaignStatus: 'running',
    paid: false,
    optedOut: false,
    unreachable: false,
    handoff: false,
    ...over,
  });
  const quiet = { ms: 60_000, reason: 'quiet hours' };

  it('sends a reminder that still applies, and holds it through quiet hours', () => {
    expect(verdict(msg(), facts(), null)).toBe('send');
    expect(verdict(msg(), facts(), quiet)).toEqual({ holdMs: 60_000, reason: 'quiet hours' });
  });

  it('skips one whose bill was paid, whose participant opted out, is unreachable or with an officer', () => {
    expect(verdict(msg(), facts({ paid: true }), null)).toEqual({ skip: 'paid' });
    expect(verdict(msg(), facts({ optedOut: true }), null)).toEqual({ skip: 'opted_out' });
    expect(verdict(msg(), facts({ unreachable: true }), null)).toEqual({ skip: 'unreachable' });
    expect(verdict(msg(), facts({ handoff: true }), null)).toEqual({ skip: 'handoff' });
    expect(verdict(msg(), facts({ campaignStatus: 'cancelled' }), quiet)).toEqual({ skip: 'cancelled' });
  });

  it('skips the message of an older attempt, a reminder skipped already, or one that does not exist', () => {
    expect(verdict(msg(), facts({ attempts: 1 }), null)).toEqual({ skip: 'superseded' });
    expect(verdict(msg(), facts({ status: 'skipped', skipReason: 'cancelled' }), null)).toEqual({
      skip: 'cancelled',
    });
    expect(verdict(msg(), undefined, null)).toEqual({ skip: 'no such recipient' });
  });

  it('puts a waiting reminder of a paused campaign back for later; one caught mid-send waits to learn its fate', () => {
    expect(verdict(msg(), facts({ campaignStatus: 'paused' }), null)).toEqual({ skip: PAUSED });
    expect(verdict(msg({ status: 'sending' }), facts({ campaignStatus: 'paused' }), null)).toEqual({
      holdMs: 1000,
      reason: 'campaign paused',
    });
  });
});
