import { describe, expect, it } from 'vitest';
import { continueFlow, type Effect, matchFaq, startFlow } from '../../../flows/index.js';
import { facts, run, sig } from './support.js';

// Each flow's paths as tables: what opens it and what the participant does → the effects, in order.

const LATER = '2026-11-21T03:00:00.000Z';
const sigs = (effects: Effect[]) => effects.map(sig);
const bd = { type: 'TEXT', text: '17-08-1965' } as const;
const checked = (result: 'match' | 'mismatch' | 'invalid' | 'locked' | 'unknown-kpj', attemptsLeft = 2) =>
  ({ type: 'BIRTH_DATE_CHECKED', result, attemptsLeft }) as const;

describe('bill', () => {
  const start = { via: 'template_button:BILL' };

  it.each([
    ['unregistered', facts({ registered: false }), ['say:bill.unregistered'], { next: 'link' }],
    ['BSUID only', facts({ registered: false, bsuidOnly: true }), ['say:bill.bsuid_only'], { next: 'link' }],
    ['PU', facts({ category: 'PU' }), ['say:bill.pu_employer_pays', 'say:bill.pu_check_jmo'], {}],
    ['locked', facts({ billLockedUntil: LATER }), ['sayButtons:verify.locked'], {}],
    ['verified', facts({ verified: true }), ['sayBill'], {}],
  ])('%s: answered at once', (_, f, expected, output) => {
    const r = run('bill', f, start);
    expect(sigs(r.all)).toEqual(expected);
    expect(r.output).toEqual(output);
  });

  it('locked: says until when, and offers an officer with the reason', () => {
    const r = run('bill', facts({ billLockedUntil: LATER }), start);
    expect(r.all[0]).toEqual({
      type: 'sayButtons',
      params: {
        bodyKey: 'verify.locked',
        vars: { unlockAt: LATER },
        buttons: [
          { id: 'AGENT:bill_locked', titleKey: 'common.agent_button' },
          { id: 'MENU', titleKey: 'common.menu_button' },
        ],
      },
    });
  });

  it('a lock in the past no longer applies', () => {
    const r = run('bill', facts({ billLockedUntil: '2026-11-19T00:00:00Z' }), start);
    expect(sigs(r.all)).toEqual(['say:verify.ask']);
  });

  it.each([
    ['ask → match', [bd, checked('match')], ['say:verify.ask', 'checkBirthDate', 'sayBill']],
    [
      'ask → mismatch ×2 → match',
      [bd, checked('mismatch', 2), bd, checked('mismatch', 1), bd, checked('match')],
      [
        'say:verify.ask',
        'checkBirthDate',
        'say:verify.mismatch',
        'checkBirthDate',
        'say:verify.mismatch',
        'checkBirthDate',
        'sayBill',
      ],
    ],
    [
      'ask → invalid → match',
      [{ type: 'TEXT', text: 'tujuh belas agustus' } as const, checked('invalid'), bd, checked('match')],
      ['say:verify.ask', 'checkBirthDate', 'say:verify.invalid', 'checkBirthDate', 'sayBill'],
    ],
    [
      'ask → locked',
      [bd, checked('locked', 0)],
      ['say:verify.ask', 'checkBirthDate', 'sayButtons:verify.locked_now'],
    ],
    [
      'ask → media → re-ask → match',
      [{ type: 'MEDIA', kind: 'image' } as const, bd, checked('match')],
      ['say:verify.ask', 'say:verify.reask', 'checkBirthDate', 'sayBill'],
    ],
    [
      'ask → a tap on something else → re-ask',
      [{ type: 'CHOICE', id: 'OLD:1' } as const],
      ['say:verify.ask', 'say:verify.reask'],
    ],
    ['ask → timeout: quietly done', [{ type: 'TIMEOUT' } as const], ['say:verify.ask']],
  ])('unverified: %s', (_, events, expected) => {
    const r = run('bill', facts(), start, ...events);
    expect(sigs(r.all)).toEqual(expected);
  });

  it('passes the typed text to the check, and the attempts left to the message', () => {
    const r = run('bill', facts(), start, { type: 'TEXT', text: ' 17/08/1965 ' }, checked('mismatch', 1));
    expect(r.effects[1]).toEqual([{ type: 'checkBirthDate', params: { text: ' 17/08/1965 ' } }]);
    expect(r.effects[2]).toEqual([
      { type: 'say', params: { key: 'verify.mismatch', vars: { attemptsLeft: 1 } } },
    ]);
  });

  it('a match that arrives without a check being asked discloses nothing', () => {
    const r = run('bill', facts(), start, checked('match'));
    expect(sigs(r.all)).toEqual(['say:verify.ask']);
  });

  it('a second text while a check is pending is checked too (the answer was lost)', () => {
    const r = run('bill', facts(), start, bd, bd, checked('match'));
    expect(sigs(r.all)).toEqual(['say:verify.ask', 'checkBirthDate', 'checkBirthDate', 'sayBill']);
  });
});

describe('pay', () => {
  const start = { via: 'menu:PAY' };
  const bri = { type: 'CHOICE', id: 'PAYCH:bri' } as const;

  it.each([
    ['verified', facts({ verified: true }), [bri], ['sayPaymentChannels', 'sayPaymentSteps:bri']],
    ['unregistered', facts({ registered: false }), [bri], ['sayPaymentChannels', 'say:pay.no_code']],
    [
      'BSUID only',
      facts({ registered: false, bsuidOnly: true }),
      [bri],
      ['sayPaymentChannels', 'say:pay.no_code'],
    ],
    ['locked', facts({ billLockedUntil: LATER }), [bri], ['sayPaymentChannels', 'sayButtons:verify.locked']],
    ['PU', facts({ category: 'PU' }), [], ['say:bill.pu_employer_pays', 'say:bill.pu_check_jmo']],
    [
      'unverified → birth date → steps',
      facts(),
      [bri, bd, checked('match')],
      ['sayPaymentChannels', 'say:verify.ask_pay', 'checkBirthDate', 'sayPaymentSteps:bri'],
    ],
    [
      'unverified → mismatch → match',
      facts(),
      [bri, bd, checked('mismatch', 2), bd, checked('match')],
      [
        'sayPaymentChannels',
        'say:verify.ask_pay',
        'checkBirthDate',
        'say:verify.mismatch',
        'checkBirthDate',
        'sayPaymentSteps:bri',
      ],
    ],
    [
      'unverified → invalid → locked',
      facts(),
      [bri, bd, checked('invalid'), bd, checked('locked', 0)],
      [
        'sayPaymentChannels',
        'say:verify.ask_pay',
        'checkBirthDate',
        'say:verify.invalid',
        'checkBirthDate',
        'sayButtons:verify.locked_now',
      ],
    ],
    [
      'an unknown channel or a photo → the list again',
      facts({ verified: true }),
      [{ type: 'CHOICE', id: 'PAYCH:gopay' } as const, { type: 'MEDIA', kind: 'image' } as const, bri],
      [
        'sayPaymentChannels',
        'say:pay.pick_again',
        'sayPaymentChannels',
        'say:pay.pick_again',
        'sayPaymentChannels',
        'sayPaymentSteps:bri',
      ],
    ],
    [
      'a typed channel name',
      facts({ verified: true }),
      [{ type: 'TEXT', text: 'lewat Kantor Pos saja' } as const],
      ['sayPaymentChannels', 'sayPaymentSteps:pos'],
    ],
    [
      'typed text that names no channel',
      facts({ verified: true }),
      [{ type: 'TEXT', text: 'hmm' } as const],
      ['sayPaymentChannels', 'say:pay.pick_again', 'sayPaymentChannels'],
    ],
  ])('%s', (_, f, events, expected) => {
    expect(sigs(run('pay', f, start, ...events).all)).toEqual(expected);
  });

  it('a tap on a channel of an older list goes straight to its steps', () => {
    expect(sigs(run('pay', facts({ verified: true }), { via: 'choice:PAYCH:dana' }).all)).toEqual([
      'sayPaymentSteps:dana',
    ]);
    expect(sigs(run('pay', facts(), { via: 'choice:PAYCH:dana' }).all)).toEqual(['say:verify.ask_pay']);
  });

  it.each([
    ['bri', 'pakai BRImo'],
    ['bri', 'brilink'],
    ['mandiri', 'Mandiri'],
    ['dana', 'DANA'],
    ['linkaja', 'link aja'],
    ['pos', 'kantor pos'],
    ['office', 'ke kantor cabang'],
    ['perisai', 'agen perisai'],
  ])('reads %s from %j', async (channel, typed) => {
    const { channelOfText } = await import('../../../flows/pay.js');
    expect(channelOfText(typed)).toBe(channel);
  });
});

describe('consent', () => {
  it.each([
    ['keyword:STOP', facts(), ['setConsent:out:keyword', 'say:consent.stopped']],
    ['template_button:STOP', facts(), ['setConsent:out:template_button', 'say:consent.stopped']],
    ['menu:STOP', facts(), ['setConsent:out:menu', 'say:consent.stopped']],
    ['keyword:STOP', facts({ optedOut: true }), ['say:consent.already_stopped']],
    ['keyword:START', facts({ optedOut: true }), ['setConsent:in:keyword', 'say:consent.started']],
    ['button:START', facts({ optedOut: true }), ['setConsent:in:menu', 'say:consent.started']],
    ['keyword:START', facts(), ['say:consent.already_started']],
    ['keyword:STOP', facts({ registered: false }), ['say:consent.not_registered']],
    ['keyword:START', facts({ registered: false, bsuidOnly: true }), ['say:consent.not_registered']],
    ['flow:menu', facts(), ['sayButtons:consent.status_active']],
    ['flow:menu', facts({ optedOut: true }), ['sayButtons:consent.status_stopped']],
  ])('%s, %#', (via, f, expected) => {
    const r = run('consent', f, { via });
    expect(sigs(r.all)).toEqual(expected);
    expect(r.done).toBe(true);
  });
});

describe('agent', () => {
  it.each([
    ['on duty', facts(), 'keyword:AGENT', ['openHandoff:keyword', 'say:agent.on_duty']],
    [
      'off duty',
      facts({ officeOpen: false, nextOfficeOpen: LATER }),
      'menu:AGENT',
      ['openHandoff:menu', 'say:agent.off_duty'],
    ],
    [
      'off duty, next opening unknown',
      facts({ officeOpen: false }),
      'template_button:AGENT',
      ['openHandoff:template_button', 'say:agent.off_duty_later'],
    ],
    [
      'offered after a lock',
      facts(),
      'button:AGENT:bill_locked',
      ['openHandoff:bill_locked', 'say:agent.on_duty'],
    ],
    [
      'not understood',
      facts(),
      'button:AGENT:not_understood',
      ['openHandoff:not_understood', 'say:agent.on_duty'],
    ],
    [
      'unregistered too',
      facts({ registered: false }),
      'keyword:AGENT',
      ['openHandoff:keyword', 'say:agent.on_duty'],
    ],
  ])('%s', (_, f, via, expected) => {
    const r = run('agent', f, { via });
    expect(sigs(r.all)).toEqual(expected);
    expect(r.done).toBe(true);
  });

  it('gives the next opening time as a var for the engine to format', () => {
    const r = run('agent', facts({ officeOpen: false, nextOfficeOpen: LATER }), { via: 'keyword:AGENT' });
    expect(r.all[1]).toEqual({ type: 'say', params: { key: 'agent.off_duty', vars: { opensAt: LATER } } });
  });
});

describe('language', () => {
  it.each([
    [
      'the buttons, then a tap',
      { via: 'keyword:LANGUAGE' },
      [{ type: 'CHOICE', id: 'LANG:jv' } as const],
      ['sayLanguages', 'setLanguage:jv', 'say:language.changed'],
    ],
    [
      'a typed name',
      { via: 'menu:LANGUAGE' },
      [{ type: 'TEXT', text: 'English please' } as const],
      ['sayLanguages', 'setLanguage:en', 'say:language.changed'],
    ],
    [
      'a typed button number',
      { via: 'menu:LANGUAGE' },
      [{ type: 'TEXT', text: '3' } as const],
      ['sayLanguages', 'setLanguage:jv', 'say:language.changed'],
    ],
    [
      'something else: the buttons again',
      { via: 'menu:LANGUAGE' },
      [
        { type: 'TEXT', text: 'hmm' } as const,
        { type: 'MEDIA', kind: 'image' } as const,
        { type: 'CHOICE', id: 'LANG:fr' } as const,
      ],
      ['sayLanguages', 'sayLanguages', 'sayLanguages', 'sayLanguages'],
    ],
    [
      'named when opened',
      { via: 'keyword:LANGUAGE', text: 'ganti ke basa jawa' },
      [],
      ['setLanguage:jv', 'say:language.changed'],
    ],
    ['a keyword language name', { via: 'keyword:LANG:id' }, [], ['setLanguage:id', 'say:language.changed']],
    ['an older button', { via: 'choice:LANG:en' }, [], ['setLanguage:en', 'say:language.changed']],
  ])('%s', (_, start, events, expected) => {
    const r = run('language', facts(), start, ...events);
    expect(sigs(r.all)).toEqual(expected);
  });

  it('sets the language before the confirmation, so the engine renders it in the new one', () => {
    const r = run('language', facts(), { via: 'choice:LANG:jv' });
    expect(r.all.map((e) => e.type)).toEqual(['setLanguage', 'say']);
  });
});

describe('link', () => {
  const unregistered = facts({ registered: false, category: null });
  const kpj = { type: 'TEXT', text: '1234-5678-901' } as const;
  const yes = { type: 'CHOICE', id: 'LINK:YES' } as const;

  it.each([
    ['registered already', facts(), [], ['sayButtons:link.already_registered']],
    ['locked', facts({ registered: false, linkLockedUntil: LATER }), [], ['sayButtons:link.locked']],
    [
      'offer → yes → KPJ → birth date → match: a request to an officer, nothing linked yet',
      unregistered,
      [yes, kpj, bd, checked('match')],
      [
        'say:link.how_to_register',
        'sayButtons:link.offer',
        'say:link.ask_kpj',
        'say:link.ask_birth_date',
        'checkBirthDate',
        'requestLink:12345678901',
        'say:link.requested',
        'say:agent.on_duty',
      ],
    ],
    [
      'a typed yes',
      unregistered,
      [{ type: 'TEXT', text: 'Iya' } as const],
      ['say:link.how_to_register', 'sayButtons:link.offer', 'say:link.ask_kpj'],
    ],
    [
      'a typed no is not a yes',
      unregistered,
      [{ type: 'TEXT', text: 'tidak mau' } as const],
      ['say:link.how_to_register', 'sayButtons:link.offer', 'sayButtons:link.offer'],
    ],
    [
      'the KPJ typed straight away',
      unregistered,
      [kpj],
      ['say:link.how_to_register', 'sayButtons:link.offer', 'say:link.ask_birth_date'],
    ],
    [
      'a KPJ of the wrong length → asked again kindly',
      unregistered,
      [yes, { type: 'TEXT', text: '12345' } as const, { type: 'MEDIA', kind: 'image' } as const, kpj],
      [
        'say:link.how_to_register',
        'sayButtons:link.offer',
        'say:link.ask_kpj',
        'say:link.kpj_invalid',
        'say:link.kpj_invalid',
        'say:link.ask_birth_date',
      ],
    ],
    [
      'an unreadable date → the date again, KPJ kept',
      unregistered,
      [yes, kpj, bd, checked('invalid'), bd, checked('match')],
      [
        'say:link.how_to_register',
        'sayButtons:link.offer',
        'say:link.ask_kpj',
        'say:link.ask_birth_date',
        'checkBirthDate',
        'say:verify.invalid',
        'checkBirthDate',
        'requestLink:12345678901',
        'say:link.requested',
        'say:agent.on_duty',
      ],
    ],
    [
      'a match out of office hours → asked, and told when an officer answers',
      facts({ registered: false, category: null, officeOpen: false, nextOfficeOpen: LATER }),
      [yes, kpj, bd, checked('match')],
      [
        'say:link.how_to_register',
        'sayButtons:link.offer',
        'say:link.ask_kpj',
        'say:link.ask_birth_date',
        'checkBirthDate',
        'requestLink:12345678901',
        'say:link.requested',
        'say:agent.off_duty',
      ],
    ],
    [
      'locked after the third try',
      unregistered,
      [yes, kpj, bd, checked('locked', 0)],
      [
        'say:link.how_to_register',
        'sayButtons:link.offer',
        'say:link.ask_kpj',
        'say:link.ask_birth_date',
        'checkBirthDate',
        'sayButtons:link.locked_now',
      ],
    ],
    ['an older "yes" button', unregistered, [], ['say:link.ask_kpj']],
  ])('%s', (name, f, events, expected) => {
    const start = name === 'an older "yes" button' ? { via: 'choice:LINK:YES' } : { via: 'flow:bill' };
    expect(sigs(run('link', f, start, ...events).all)).toEqual(expected);
  });

  it('checks the birth date against the typed KPJ', () => {
    const r = run('link', unregistered, { via: 'choice:LINK:YES' }, kpj, bd);
    expect(r.effects[2]).toEqual([
      { type: 'checkBirthDate', params: { text: '17-08-1965', kpj: '12345678901' } },
    ]);
  });

  it('says the same for an unknown KPJ and a wrong birth date, and asks for the KPJ again', () => {
    const answer = (result: 'mismatch' | 'unknown-kpj') =>
      run('link', unregistered, { via: 'choice:LINK:YES' }, kpj, bd, checked(result, 1));
    const mismatch = answer('mismatch');
    const unknown = answer('unknown-kpj');
    expect(unknown.effects[3]).toEqual(mismatch.effects[3]);
    expect(mismatch.effects[3]).toEqual([
      { type: 'say', params: { key: 'link.no_match', vars: { attemptsLeft: 1 } } },
    ]);
    expect(unknown.value).toBe('askKpj');
  });

  it('forgets the KPJ once done', () => {
    const step = (() => {
      let s = startFlow('link', { facts: unregistered, via: 'choice:LINK:YES' });
      for (const e of [kpj, bd, checked('match')])
        s = continueFlow('link', s.snapshot, { ...e, facts: unregistered });
      return s;
    })();
    expect(step.done).toBe(true);
    expect(JSON.stringify(step.snapshot)).not.toContain('12345678901');
  });
});

describe('fallback', () => {
  it.each([
    ['asdfgh', ['say:fallback.not_understood', 'sayMenu']],
    ['berapa iuran BPU sebulan?', ['say:faq.bpu_amount', 'sayMenu']],
    ['apa itu JMO', ['say:faq.jmo', 'sayMenu']],
    ['kalau telat bayar bagaimana?', ['say:faq.late', 'sayMenu']],
    ['Alamat kantornya di mana?', ['say:faq.office', 'sayMenu']],
    ['jam buka', ['say:faq.office', 'sayMenu']],
    ['cara daftar bpjs', ['say:faq.register', 'sayMenu']],
    ['nomor saya tidak terdaftar', ['say:faq.register', 'sayMenu']],
    ['saya sudah bayar kemarin', ['say:faq.paid', 'sayMenu']],
    ['Terima kasih 🙏', ['say:faq.thanks']],
    ['matur nuwun', ['say:faq.thanks']],
    ['Assalamualaikum', ['say:faq.greeting', 'sayMenu']],
  ])('%j → %j', (text, expected) => {
    const r = run('fallback', facts(), { via: 'text', text });
    expect(sigs(r.all)).toEqual(expected);
    expect(r.done).toBe(false);
  });

  it.each([
    ['cek tagihan saya', 'bill'],
    ['berapa iuran saya?', 'bill'],
    ['bagaimana cara bayar?', 'pay'],
  ])('%j hands over to %s', (text, next) => {
    const r = run('fallback', facts(), { via: 'text', text });
    expect(r.all).toEqual([]);
    expect(r.output?.next).toBe(next);
  });

  it('media: says it reads only text, with the menu', () => {
    expect(sigs(run('fallback', facts(), { via: 'media:audio' }).all)).toEqual([
      'say:fallback.media',
      'sayMenu',
    ]);
  });

  it('not understood twice in a row → offers an officer; an answer in between resets the count', () => {
    const q = (text: string) => ({ type: 'TEXT', text }) as const;
    expect(sigs(run('fallback', facts(), { via: 'text', text: 'xx' }, q('yy'), q('zz')).all)).toEqual([
      'say:fallback.not_understood',
      'sayMenu',
      'sayButtons:fallback.offer_agent',
      'say:fallback.not_understood',
      'sayMenu',
    ]);
    expect(
      sigs(run('fallback', facts(), { via: 'text', text: 'xx' }, q('apa itu jmo'), q('zz')).all),
    ).toEqual([
      'say:fallback.not_understood',
      'sayMenu',
      'say:faq.jmo',
      'sayMenu',
      'say:fallback.not_understood',
      'sayMenu',
    ]);
    const offer = run('fallback', facts(), { via: 'media:sticker' }, { type: 'MEDIA', kind: 'sticker' })
      .all[2];
    expect(offer).toEqual({
      type: 'sayButtons',
      params: {
        bodyKey: 'fallback.offer_agent',
        buttons: [
          { id: 'AGENT:not_understood', titleKey: 'common.agent_button' },
          { id: 'MENU', titleKey: 'common.menu_button' },
        ],
      },
    });
  });

  it('keeps no message text in its snapshot', () => {
    const s = startFlow('fallback', { facts: facts(), via: 'text', text: 'alamat kantor rahasia' });
    expect(JSON.stringify(s.snapshot)).not.toContain('rahasia');
  });

  it.each([
    ['Halo, saya mau cek tagihan', 'bill'],
    ['sudah bayar tagihan', 'paid'],
    ['i am fine', null],
    ['mati lampu', null],
    ['', null],
  ])('matchFaq(%j) → %s', (text, topic) => {
    expect(matchFaq(text)?.id ?? null).toBe(topic);
  });
});

describe('menu', () => {
  it('shows the menu and stays open', () => {
    const r = run('menu', facts(), { via: 'keyword:MENU' });
    expect(sigs(r.all)).toEqual(['sayMenu']);
    expect(r.done).toBe(false);
  });

  it.each([
    [{ type: 'CHOICE', id: 'MENU:STOP' } as const, { next: 'consent', via: 'menu:STOP' }],
    [{ type: 'TEXT', text: '1' } as const, { next: 'bill', via: 'menu:BILL' }],
    [{ type: 'TEXT', text: 'what?' } as const, { next: 'fallback' }],
    [{ type: 'MEDIA', kind: 'image' } as const, { next: 'fallback' }],
  ])('an engine that forwards %j gets %j', (event, output) => {
    expect(run('menu', facts(), {}, event).output).toEqual(output);
  });

  it('a timeout closes it quietly', () => {
    const r = run('menu', facts(), {}, { type: 'TIMEOUT' });
    expect(r.effects[1]).toEqual([]);
    expect(r.output).toEqual({});
  });
});
