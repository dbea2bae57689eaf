import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next from 'i18next';
import { LANGUAGES, type Language } from '../../flows/index.js';

// Every participant-facing sentence lives in locales/{id,en,jv}/translation.json (nested keys). `id` is
// the reference and the fallback. Key conventions, enforced by test/unit/locales:
//   - a key's last segment ends in a suffix that says where the text goes, and so its Cloud API limit:
//     `_button` reply-button title, `_row` list-row title, `_desc` row description, `_list` the list's
//     button, `_section` a list section title; every other key is a message body (≤ 1024);
//   - `{{var}}` placeholders: a var whose name ends in `At` holds an ISO time that the renderer writes as
//     the participant's local date and time; the others are passed as given;
//   - `_review` (top level) marks a locale's review status; the Javanese texts await native speakers.

export const KEY_LIMITS: Readonly<Record<string, number>> = {
  _button: 20,
  _row: 24,
  _desc: 72,
  _list: 20,
  _section: 24,
};
export const BODY_LIMIT = 1024;

/** The Cloud API limit for a key's text, by its suffix. */
export function limitOf(key: string): number {
  for (const [suffix, limit] of Object.entries(KEY_LIMITS)) if (key.endsWith(suffix)) return limit;
  return BODY_LIMIT;
}

export type Vars = Record<string, string | number>;
export type Translator = (lang: Language, key: string, vars?: Vars) => string;
export type Resources = Record<Language, Record<string, unknown>>;

// src/i18n in development, dist/src/i18n once built; locales/ sits at the project root.
function localesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'locales');
    if (existsSync(join(candidate, 'id', 'translation.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('locales/ not found above src/i18n');
}

function load(): Resources {
  const dir = localesDir();
  const read = (lang: Language) =>
    JSON.parse(readFileSync(join(dir, lang, 'translation.json'), 'utf8')) as Record<string, unknown>;
  return { id: read('id'), en: read('en'), jv: read('jv') };
}

export const resources: Resources = load();

/** Every leaf key of a resource tree, dotted (`menu.bill_row`). */
export function flattenKeys(tree: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [kk, vv] of flattenKeys(v as Record<string, unknown>, key)) out.set(kk, vv);
    } else out.set(key, v);
  }
  return out;
}

/**
 * A translator over the three locales. A key missing in the participant's language falls back to `id`; a
 * key missing from `id` too is a programming error and throws, rather than sending the key's name.
 */
export function createTranslator(): Translator {
  const i18n = i18next.createInstance();
  void i18n.init({
    resources: Object.fromEntries(LANGUAGES.map((lang) => [lang, { translation: resources[lang] }])),
    lng: 'id',
    fallbackLng: 'id',
    supportedLngs: [...LANGUAGES],
    initAsync: false,
    returnNull: false,
    returnObjects: false,
    interpolation: { escapeValue: false },
  });
  const known = flattenKeys(resources.id);
  return (lang, key, vars) => {
    if (typeof known.get(key) !== 'string') throw new Error(`no locale text for key "${key}"`);
    return i18n.t(key, { lng: lang, ...vars });
  };
}
