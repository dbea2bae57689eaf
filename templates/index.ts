import type { Language } from '../flows/types.js';
import { type TemplateBody, templateMessage } from '../src/whatsapp/index.js';
import { iuranOverdue } from './iuran_overdue.js';
import { iuranReminder } from './iuran_reminder.js';
import { linkRequestNotice } from './permintaan_tautan_akun.js';
import type { TemplateCategory, TemplateContext, TemplateDefinition, TemplateLanguage } from './types.js';

// The registry of approved WhatsApp templates: one file a template, listed here. A campaign may name only
// a template found here.

export type {
  ParameterSpec,
  TemplateBill,
  TemplateCategory,
  TemplateContext,
  TemplateDefinition,
  TemplateLanguage,
} from './types.js';

export const TEMPLATES: ReadonlyMap<string, TemplateDefinition> = new Map(
  [iuranReminder, iuranOverdue].map((t) => [t.name, t]),
);

export function findTemplate(name: string): TemplateDefinition | undefined {
  return TEMPLATES.get(name);
}

/**
 * Templates the service sends of its own accord (notices), kept apart from TEMPLATES so that no campaign can
 * name one.
 */
export {
  type LinkRequestNoticeFacts,
  linkRequestNotice,
  renderLinkRequestNotice,
} from './permintaan_tautan_akun.js';

/** The category any template we send was approved in: a reminder's or a notice's. */
export function templateCategoryOf(name: string): TemplateCategory | undefined {
  return (
    findTemplate(name)?.category ?? (name === linkRequestNotice.name ? linkRequestNotice.category : undefined)
  );
}

/**
 * The language a participant's template goes in: their own where the registry has it, else the
 * campaign's fallback. Javanese speakers get `id`: WhatsApp has no Javanese templates.
 */
export function templateLanguageFor(
  def: TemplateDefinition,
  participantLanguage: Language,
  fallback: TemplateLanguage,
): TemplateLanguage {
  const own: TemplateLanguage = participantLanguage === 'en' ? 'en' : 'id';
  if (def.languages.includes(own)) return own;
  return def.languages.includes(fallback) ? fallback : def.languages[0]!;
}

/** The body parameters in order, as the Cloud API takes them. */
export function fillParameters(
  def: TemplateDefinition,
  ctx: TemplateContext,
  language: TemplateLanguage,
): string[] {
  return def.bodyParameters.map((p) => p.fill(ctx, language));
}

/** The Cloud API body of this template for one recipient (builders enforce the API's limits). */
export function renderTemplate(
  def: TemplateDefinition,
  recipient: string,
  ctx: TemplateContext,
  language: TemplateLanguage,
): TemplateBody {
  return templateMessage(recipient, {
    name: def.name,
    language,
    bodyParameters: fillParameters(def, ctx, language),
    quickReplyPayloads: [...def.quickReplyPayloads],
  });
}
