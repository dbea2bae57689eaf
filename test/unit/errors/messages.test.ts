import { describe, expect, it } from 'vitest';
import {
  type LANGUAGES,
  MESSAGES,
  type Message,
  type MessageKey,
  type ParamsOf,
  render,
} from '../../../src/errors/index.js';

// One set of parameters for every message: the type makes a new key add its own here.
const SAMPLES: { [K in MessageKey]: ParamsOf<K> } = {
  'request.invalid': { path: 'body.template.name', detail: 'Required', more: 2 },
  'request.unreadable': { detail: "Body is not valid JSON but content-type is set to 'application/json'" },
  'request.too_large': { detail: 'Request body is too large' },
  'request.media_type': { detail: 'Unsupported Media Type: application/xml' },
  'request.refused': { detail: 'Some refusal' },
  'route.not_found': { method: 'GET', url: '/api/nothing' },
  'server.internal': undefined,
  'server.unavailable': undefined,
  'server.not_ready': undefined,
  'auth.no_key': undefined,
  'auth.role': { roles: ['agent', 'admin'], role: 'viewer' },
  'rate.limited': { seconds: 30 },
  'key.name_taken': { name: 'Sari' },
  'key.not_found': { id: 9 },
  'key.last_admin': undefined,
  'webhook.verify_token': undefined,
  'webhook.empty': undefined,
  'webhook.signature': undefined,
  'webhook.not_json': undefined,
  'webhook.invalid': { detail: 'object: expected whatsapp_business_account' },
  'webhook.sender_limit': undefined,
  'webhook.not_recorded': undefined,
  'participant.not_found': undefined,
  'participant.not_on_number': undefined,
  'import.too_many_rows': { max: 500_000 },
  'csv.header_missing': { columns: ['name', 'birthDate'] },
  'csv.missing_column': undefined,
  'csv.too_large': { max: 1024 },
  'csv.unreadable': { code: 'CSV_QUOTE_NOT_CLOSED', line: 3 },
  'csv.empty': undefined,
  'campaign.not_found': { id: 4 },
  'campaign.cannot': { action: 'pause', status: 'draft', allowed: ['running'] },
  'campaign.no_holdout': { id: 4 },
  'campaign.unknown_template': { name: 'tidak_ada' },
  'campaign.template_language': { name: 'iuran_reminder', language: 'en', languages: ['id'] },
  'campaign.marketing': { name: 'promo' },
  'costs.range': undefined,
  'handoff.not_found': { id: 12 },
  'handoff.resolved': undefined,
  'handoff.held': { assignedTo: 'agent-ani' },
  'handoff.not_claimed': undefined,
  'handoff.window_closed': {
    since: '2026-11-22T03:00:00.000Z',
    reengage: { template: 'iuran_overdue', method: 'POST', url: '/api/handoffs/12/reengage' },
  },
  'handoff.no_link_request': undefined,
  'handoff.number_registered': undefined,
  'handoff.no_template': { why: 'opted_out', template: 'iuran_overdue' },
};

const keys = Object.keys(MESSAGES) as MessageKey[];
const said = (key: MessageKey, language: (typeof LANGUAGES)[number]) =>
  render({ key, params: SAMPLES[key] } as Message, language);

describe('error messages', () => {
  it.each(keys)('%s is said in English and in Indonesian, each its own sentence', (key) => {
    const en = said(key, 'en');
    const id = said(key, 'id');
    for (const text of [en, id]) {
      expect(text.trim()).not.toBe('');
      expect(text).not.toMatch(/undefined|\[object |\$\{/);
    }
    expect(id).not.toBe(en);
  });

  it('says the things an officer acts on in Indonesian', () => {
    expect(said('handoff.held', 'id')).toBe('agent-ani sedang menangani percakapan ini');
    expect(said('handoff.window_closed', 'id')).toBe(
      'Jendela 24 jam sudah tertutup (sejak 2026-11-22T03:00:00.000Z): WhatsApp kini hanya menerima template ' +
        'yang disetujui. Kirim template pengingat iuran_overdue (POST /api/handoffs/12/reengage); begitu ' +
        'peserta menjawab, jendela terbuka lagi.',
    );
    expect(said('handoff.no_template', 'id')).toBe(
      'Tidak ada template pengingat yang bisa dikirim: peserta sudah berhenti menerima pengingat',
    );
    expect(said('campaign.cannot', 'id')).toBe('Kampanye yang draf tidak dapat dijeda (hanya yang berjalan)');
    expect(said('import.too_many_rows', 'id')).toBe(
      'paling banyak 500.000 baris per permintaan: bagi berkasnya dan kirim bagian-bagiannya satu per satu',
    );
    expect(said('auth.role', 'id')).toBe('Ini perlu peran agent atau admin; kunci ini berperan viewer');
  });

  it('keeps the English the API has always answered', () => {
    expect(said('handoff.window_closed', 'en')).toBe(
      'The 24-hour window is closed (since 2026-11-22T03:00:00.000Z): WhatsApp accepts only an approved ' +
        'template now. Send the re-engagement template iuran_overdue (POST /api/handoffs/12/reengage); ' +
        'when the participant answers, the window opens again.',
    );
    expect(said('import.too_many_rows', 'en')).toBe(
      'at most 500,000 rows a request: split the file and send the parts one after another',
    );
    expect(said('request.invalid', 'en')).toBe('body.template.name: Required (and 2 more)');
  });
});
