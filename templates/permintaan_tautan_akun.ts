import { CHOICE } from '../flows/types.js';
import { type TemplateBody, templateMessage } from '../src/whatsapp/index.js';
import { oneLine } from './fill.js';
import type { TemplateCategory, TemplateLanguage } from './types.js';

/**
 * The security notice to a participant's registered number when another WhatsApp number asks to speak for
 * them (an account link request): a utility template, since the registered number has usually not written
 * in the last 24 hours. Sent by the service itself, never by a campaign.
 *
 * id: "Halo {{1}}, nomor WhatsApp lain ({{2}}) meminta dihubungkan dengan akun BPJS Ketenagakerjaan Anda
 * (KPJ {{3}}). Petugas kami akan memeriksanya. Jika itu bukan Anda, ketuk Hubungi petugas."
 * Button: talk to an officer.
 */
export const linkRequestNotice = {
  name: 'permintaan_tautan_akun',
  category: 'utility' as TemplateCategory,
  languages: ['id', 'en'] as readonly TemplateLanguage[],
  quickReplyPayloads: [CHOICE.agent] as readonly string[],
};

export interface LinkRequestNoticeFacts {
  /** the registered participant's name */
  name: string;
  /** the number that asked, masked */
  requester: string;
  /** the participant's KPJ, masked */
  kpj: string;
}

export function renderLinkRequestNotice(
  recipient: string,
  facts: LinkRequestNoticeFacts,
  language: TemplateLanguage,
): TemplateBody {
  return templateMessage(recipient, {
    name: linkRequestNotice.name,
    language,
    bodyParameters: [oneLine(facts.name), facts.requester, facts.kpj],
    quickReplyPayloads: [...linkRequestNotice.quickReplyPayloads],
  });
}
