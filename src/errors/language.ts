// The language of an error's message: the caller's, from Accept-Language (the inbox and the dashboard send
// the language their page is in), English for anyone who asks for none we have. Officers read Indonesian
// or English; participants never see these texts (theirs are in locales/).

export const LANGUAGES = ['en', 'id'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

const isLanguage = (tag: string): tag is Language => (LANGUAGES as readonly string[]).includes(tag);

/** The first language of an Accept-Language header we have, by its weight (`id-ID,id;q=0.9,en;q=0.8`). */
export function languageOf(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return DEFAULT_LANGUAGE;
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      const weight = q === undefined ? 1 : Number(q);
      return { tag: range.trim().toLowerCase().split('-')[0] ?? '', weight, index };
    })
    .filter((r) => r.weight > 0 && Number.isFinite(r.weight))
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  return ranked.map((r) => r.tag).find(isLanguage) ?? DEFAULT_LANGUAGE;
}
