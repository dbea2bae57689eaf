import type { Language } from '../flows/types.js';

/** The languages WhatsApp templates come in here: none in Javanese (Javanese speakers get `id`). */
export type TemplateLanguage = 'id' | 'en';
export type TemplateCategory = 'utility' | 'marketing';

/** One bill as a template sees it: what is still owed on it. */
export interface TemplateBill {
  /** YYYY-MM */
  period: string;
  /** rupiah still owed (amount minus recorded payments) */
  outstanding: number;
  /** YYYY-MM-DD */
  dueDate: string;
}

/** Everything a template's parameters may be filled from, gathered just before the message is queued. */
export interface TemplateContext {
  participant: { name: string; language: Language };
  /** the bill this reminder is about */
  bill: TemplateBill;
  /** every unpaid bill of the participant, oldest period first (includes `bill`) */
  unpaid: TemplateBill[];
  /** YYYY-MM-DD in BUSINESS_TZ: what "overdue" is measured against */
  today: string;
}

/** One body parameter: the participant or bill field it shows, and how it is written. */
export interface ParameterSpec {
  /** what fills it, for officers and the docs: `participant.name`, `bills.total`, … */
  field: string;
  fill(ctx: TemplateContext, language: TemplateLanguage): string;
}

export interface TemplateDefinition {
  /** the name approved in WhatsApp Business Manager */
  name: string;
  /** the category the template was approved in; Meta may re-categorise it (a status webhook says so) */
  category: TemplateCategory;
  languages: readonly TemplateLanguage[];
  /** in the order of the template's {{1}}, {{2}}, … */
  bodyParameters: readonly ParameterSpec[];
  /** quick-reply payloads by button index; the conversation router opens the matching flow */
  quickReplyPayloads: readonly string[];
}
