import { describe, expect, it } from 'vitest';
import { LANGUAGES, type Language } from '../../../flows/index.js';
import { ENGINE_KEYS } from '../../../src/conversations/engine.js';
import { HANDOFF_KEYS } from '../../../src/handoff/index.js';
import {
  BODY_LIMIT,
  createTranslator,
  flattenKeys,
  KEY_LIMITS,
  limitOf,
  resources,
} from '../../../src/i18n/index.js';
import { keysUsedByFlows, keysUsedByRenderer } from './usage.js';

const flat = Object.fromEntries(LANGUAGES.map((l) => [l, flattenKeys(resources[l])])) as Record<
  Language,
  Map<string, unknown>
>;
const idKeys = [...flat.id.keys()];
const varsOf = (text: string) => new Set([...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]));
const length = (s: string) => Array.from(s).length;

describe('locales', () => {
  it('have the same keys in every language, no more and no fewer', () => {
    for (const lang of LANGUAGES) expect([...flat[lang].keys()].sort()).toEqual([...idKeys].sort());
    expect(idKeys.length).toBeGreaterThan(100);
  });

  it('hold only non-empty strings', () => {
    for (const lang of LANGUAGES) {
      for (const [key, value] of flat[lang]) {
        expect(typeof value, `${lang}:${key}`).toBe('string');
        expect(String(value).trim(), `${lang}:${key}`).not.toBe('');
      }
    }
  });

  it('use the same {{vars}} in every language as in id', () => {
    for (const key of idKeys) {
      const expected = [...varsOf(String(flat.id.get(key)))].sort();
      for (const lang of LANGUAGES)
        expect([...varsOf(String(flat[lang].get(key)))].sort(), `${lang}:${key}`).toEqual(expected);
    }
  });

  it('keep every text within its Cloud API limit, by key suffix', () => {
    const over: string[] = [];
    for (const lang of LANGUAGES) {
      for (const [key, value] of flat[lang]) {
        const n = length(String(value));
        if (n > limitOf(key)) over.push(`${lang}:${key} ${n} > ${limitOf(key)}`);
      }
    }
    expect(over).toEqual([]);
    expect(KEY_LIMITS).toEqual({ _button: 20, _row: 24, _desc: 72, _list: 20, _section: 24 });
    expect(limitOf('menu.body')).toBe(BODY_LIMIT);
  });

  it('put no {{vars}} in titles, whose limits a value could break', () => {
    for (const key of idKeys.filter((k) => Object.keys(KEY_LIMITS).some((s) => k.endsWith(s)))) {
      expect(varsOf(String(flat.id.get(key))).size, key).toBe(0);
    }
  });

  it('keep button titles unique within each language where they share a message', () => {
    for (const lang of LANGUAGES) {
      const titles = [
        'common.menu_button',
        'common.bill_button',
        'common.pay_button',
        'common.agent_button',
      ].map((k) => flat[lang].get(k));
      expect(new Set(titles).size).toBe(titles.length);
    }
  });

  it('name the buttons a text tells people to tap exactly as the buttons read', () => {
    for (const lang of LANGUAGES) {
      const text = (k: string) => String(flat[lang].get(k));
      expect(text('menu.body'), lang).toContain(text('menu.open_list'));
      expect(text('pay.channels_body'), lang).toContain(text('pay.channels_list'));
      expect(text('bill.pay_hint'), lang).toContain(text('common.pay_button'));
    }
  });

  it('mark the Javanese texts for review by native speakers', () => {
    expect(flat.jv.get('_review')).toBe('Needs review by native Javanese speakers from Blitar');
  });

  it('write amounts the Indonesian way in every language', () => {
    for (const lang of LANGUAGES) {
      for (const [key, value] of flat[lang]) {
        expect(String(value), `${lang}:${key}`).not.toMatch(/Rp\s?\d{1,3},\d{3}|IDR/);
      }
    }
  });
});

describe('locale keys and code agree', () => {
  const usedByFlows = keysUsedByFlows();
  const usedByRenderer = keysUsedByRenderer();

  it('every key a flow uses exists', () => {
    expect([...usedByFlows].filter((k) => !flat.id.has(k))).toEqual([]);
    expect(usedByFlows.size).toBeGreaterThan(40);
  });

  it('every key the renderer uses exists', () => {
    expect([...usedByRenderer].filter((k) => !flat.id.has(k))).toEqual([]);
  });

  // the engine's own keys, and the handoff room's (it tells participants the bot has them again)
  const usedByEngine = new Set<string>([...Object.values(ENGINE_KEYS), ...Object.values(HANDOFF_KEYS)]);

  it('every key the engine and the handoff room speak exists', () => {
    expect([...usedByEngine].filter((k) => !flat.id.has(k))).toEqual([]);
  });

  it('every key is used by a flow, the renderer, the engine or the handoff room', () => {
    const unused = idKeys.filter(
      (k) => k !== '_review' && !usedByFlows.has(k) && !usedByRenderer.has(k) && !usedByEngine.has(k),
    );
    expect(unused).toEqual([]);
  });
});

describe('translator', () => {
  const t = createTranslator();

  it('translates with vars, without HTML escaping', () => {
    expect(t('id', 'bill.total', { total: 'Rp36.800' })).toBe('Total: Rp36.800');
    expect(t('en', 'bill.header_named', { name: 'Budi & Sri <3' })).toBe(
      'Budi & Sri <3, these contributions are still unpaid:',
    );
  });

  it('speaks each language', () => {
    expect(t('id', 'common.menu_button')).toBe('Menu');
    expect(t('en', 'language.changed')).toContain('English');
    expect(t('jv', 'language.changed')).toContain('Basa Jawa');
  });

  it('throws on a key that does not exist, instead of sending its name', () => {
    expect(() => t('id', 'no.such_key')).toThrow(/no\.such_key/);
    expect(() => t('en', 'pay.steps')).toThrow();
  });
});
