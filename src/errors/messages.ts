import type { Language } from './language.js';

// What an error says, in each language an officer reads. A message is a key and its parameters until it is
// answered, so the language is chosen for the caller and not where the error was thrown. Every key has
// both languages (`text` takes one of each); English is what logs and the API's default get.

type Text<P> = Record<Language, (params: P) => string>;
const text = <P = void>(en: (params: P) => string, id: (params: P) => string): Text<P> => ({ en, id });

// campaign statuses and actions in Indonesian (the API's own words stay English in its bodies)
const CAMPAIGN_STATUS_ID: Record<string, string> = {
  draft: 'draf',
  running: 'berjalan',
  paused: 'dijeda',
  cancelled: 'dibatalkan',
  completed: 'selesai',
};
const CAMPAIGN_ACTION_ID: Record<string, string> = {
  start: 'dimulai',
  pause: 'dijeda',
  resume: 'dilanjutkan',
  cancel: 'dibatalkan',
};
const statusId = (status: string) => CAMPAIGN_STATUS_ID[status] ?? status;

/** Why no re-engagement template can go to a conversation (the desk's word for it). */
export type NoTemplateWhy = 'not_in_registry' | 'not_registered_number' | 'opted_out' | 'nothing_owed';
const NO_TEMPLATE: Record<NoTemplateWhy, Text<{ template: string }>> = {
  not_in_registry: text(
    ({ template }) => `${template} is not in the registry`,
    ({ template }) => `${template} tidak ada di registri template`,
  ),
  not_registered_number: text(
    () => 'the sender is not the registered number of a participant',
    () => 'pengirim bukan nomor terdaftar seorang peserta',
  ),
  opted_out: text(
    () => 'the participant opted out of reminders',
    () => 'peserta sudah berhenti menerima pengingat',
  ),
  nothing_owed: text(
    () => 'the participant has no unpaid bill to remind of',
    () => 'peserta tidak punya iuran belum dibayar untuk diingatkan',
  ),
};

export interface ReengageHint {
  template: string;
  method: string;
  url: string;
}

export const MESSAGES = {
  // ---- any request ----
  'request.invalid': text<{ path: string; detail: string; more: number }>(
    ({ path, detail, more }) => `${path}: ${detail}${more > 0 ? ` (and ${more} more)` : ''}`,
    ({ path, detail, more }) => `${path}: ${detail}${more > 0 ? ` (dan ${more} lainnya)` : ''}`,
  ),
  // Fastify's own sentence in English (what API clients always got); a plain one in Indonesian
  'request.unreadable': text<{ detail: string }>(
    ({ detail }) => detail,
    () => 'Isi permintaan tidak dapat dibaca.',
  ),
  'request.too_large': text<{ detail: string }>(
    ({ detail }) => detail,
    () => 'Isi permintaan terlalu besar.',
  ),
  'request.media_type': text<{ detail: string }>(
    ({ detail }) => detail,
    () => 'Jenis isi permintaan (Content-Type) ini tidak diterima.',
  ),
  'request.refused': text<{ detail: string }>(
    ({ detail }) => detail,
    () => 'Permintaan ditolak.',
  ),
  'route.not_found': text<{ method: string; url: string }>(
    ({ method, url }) => `Route ${method}:${url} not found`,
    ({ method, url }) => `Alamat ${method} ${url} tidak ada`,
  ),
  'server.internal': text(
    () => 'Something went wrong',
    () => 'Terjadi kesalahan pada layanan',
  ),
  'server.unavailable': text(
    () => 'A server this needs is unavailable; try again shortly',
    () => 'Server yang diperlukan sedang tidak tersedia; coba lagi sebentar lagi',
  ),
  'server.not_ready': text(
    () => 'Not ready: a server this needs does not answer',
    () => 'Belum siap: server yang diperlukan tidak menjawab',
  ),

  // ---- keys, roles and budgets ----
  'auth.no_key': text(
    () => 'A valid API key is required (Authorization: Bearer <key>)',
    () => 'Perlu kunci API yang sah (Authorization: Bearer <kunci>)',
  ),
  'auth.role': text<{ roles: readonly string[]; role: string }>(
    ({ roles, role }) => `This needs the ${roles.join(' or ')} role; the key has ${role}`,
    ({ roles, role }) => `Ini perlu peran ${roles.join(' atau ')}; kunci ini berperan ${role}`,
  ),
  'rate.limited': text<{ seconds: number }>(
    ({ seconds }) => `Rate limit exceeded, retry in ${seconds} seconds`,
    ({ seconds }) => `Terlalu banyak permintaan, coba lagi dalam ${seconds} detik`,
  ),
  'key.name_taken': text<{ name: string }>(
    ({ name }) => `A key named "${name}" exists`,
    ({ name }) => `Kunci bernama "${name}" sudah ada`,
  ),
  'key.not_found': text<{ id: number }>(
    ({ id }) => `No API key with id ${id}`,
    ({ id }) => `Tidak ada kunci API dengan id ${id}`,
  ),
  'key.last_admin': text(
    () => 'This is the last admin key that works: create another admin key first',
    () => 'Ini kunci admin terakhir yang berlaku: buat kunci admin lain dulu',
  ),

  // ---- the webhook ----
  'webhook.verify_token': text(
    () => 'Forbidden',
    () => 'Ditolak',
  ),
  'webhook.empty': text(
    () => 'empty body',
    () => 'isi permintaan kosong',
  ),
  'webhook.signature': text(
    () => 'bad or missing X-Hub-Signature-256',
    () => 'X-Hub-Signature-256 salah atau tidak ada',
  ),
  'webhook.not_json': text(
    () => 'body is not JSON',
    () => 'isi permintaan bukan JSON',
  ),
  'webhook.invalid': text<{ detail: string }>(
    ({ detail }) => detail,
    ({ detail }) => `isi webhook tidak sah: ${detail}`,
  ),
  'webhook.sender_limit': text(
    () => 'a sender is past its messages per minute',
    () => 'seorang pengirim melewati batas pesan per menit',
  ),
  'webhook.not_recorded': text(
    () => 'could not record, retry',
    () => 'tidak dapat dicatat, kirim ulang',
  ),

  // ---- participants, bills and payments ----
  'participant.not_found': text(
    () => 'no participant with this KPJ',
    () => 'Tidak ada peserta dengan KPJ ini',
  ),
  'participant.not_on_number': text(
    () => 'no participant on this number',
    () => 'Tidak ada peserta pada nomor ini',
  ),
  'import.too_many_rows': text<{ max: number }>(
    ({ max }) =>
      `at most ${max.toLocaleString('en')} rows a request: split the file and send the parts one after another`,
    ({ max }) =>
      `paling banyak ${max.toLocaleString('id')} baris per permintaan: bagi berkasnya dan kirim bagian-bagiannya satu per satu`,
  ),
  'csv.header_missing': text<{ columns: readonly string[] }>(
    ({ columns }) => `CSV header lacks ${columns.join(', ')}`,
    ({ columns }) => `Baris judul CSV tidak memuat ${columns.join(', ')}`,
  ),
  'csv.missing_column': text(
    () => 'missing column',
    () => 'kolom tidak ada',
  ),
  'csv.too_large': text<{ max: number }>(
    ({ max }) => `body larger than ${max} bytes`,
    ({ max }) => `isi permintaan lebih dari ${max} byte`,
  ),
  'csv.unreadable': text<{ code: string; line: number | null }>(
    ({ code, line }) => `CSV could not be read (${code}${line ? ` at line ${line}` : ''})`,
    ({ code, line }) => `CSV tidak dapat dibaca (${code}${line ? ` di baris ${line}` : ''})`,
  ),
  'csv.empty': text(
    () => 'CSV is empty: a header row naming the columns is required',
    () => 'CSV kosong: perlu baris judul yang menamai kolom-kolomnya',
  ),

  // ---- campaigns ----
  'campaign.not_found': text<{ id: number }>(
    ({ id }) => `no campaign ${id}`,
    ({ id }) => `Tidak ada kampanye ${id}`,
  ),
  'campaign.cannot': text<{ action: string; status: string; allowed: readonly string[] }>(
    ({ action, status, allowed }) =>
      `cannot ${action} a campaign that is ${status} (only ${allowed.join(' or ')})`,
    ({ action, status, allowed }) =>
      `Kampanye yang ${statusId(status)} tidak dapat ${CAMPAIGN_ACTION_ID[action] ?? action} ` +
      `(hanya yang ${allowed.map(statusId).join(' atau ')})`,
  ),
  'campaign.no_holdout': text<{ id: number }>(
    ({ id }) => `campaign ${id} has no holdout group to compare with`,
    ({ id }) => `Kampanye ${id} tidak punya kelompok kontrol untuk dibandingkan`,
  ),
  'campaign.unknown_template': text<{ name: string }>(
    ({ name }) => `no template "${name}" in the registry`,
    ({ name }) => `Template "${name}" tidak ada di registri template`,
  ),
  'campaign.template_language': text<{ name: string; language: string; languages: readonly string[] }>(
    ({ name, language, languages }) =>
      `template ${name} has no "${language}" (it has ${languages.join(', ')})`,
    ({ name, language, languages }) =>
      `Template ${name} tidak tersedia dalam "${language}" (yang ada: ${languages.join(', ')})`,
  ),
  'campaign.marketing': text<{ name: string }>(
    ({ name }) =>
      `template ${name} is a marketing template: bill reminders are utility; set allowMarketing: true to send it anyway`,
    ({ name }) =>
      `Template ${name} adalah template marketing, sedangkan pengingat iuran termasuk utility; isi allowMarketing: true untuk tetap mengirimnya`,
  ),
  'costs.range': text(
    () => 'to must not be before from',
    () => 'to tidak boleh sebelum from',
  ),

  // ---- the agents' inbox ----
  'handoff.not_found': text<{ id: number }>(
    ({ id }) => `No handoff ${id}`,
    ({ id }) => `Tidak ada percakapan petugas ${id}`,
  ),
  'handoff.resolved': text(
    () => 'This conversation is resolved: the bot has it again',
    () => 'Percakapan ini sudah selesai: bot menanganinya lagi',
  ),
  'handoff.held': text<{ assignedTo: string | null }>(
    ({ assignedTo }) => `${assignedTo ?? 'Another agent'} holds this conversation`,
    ({ assignedTo }) => `${assignedTo ?? 'Petugas lain'} sedang menangani percakapan ini`,
  ),
  'handoff.not_claimed': text(
    () => 'Claim this conversation first',
    () => 'Ambil percakapan ini dulu',
  ),
  'handoff.window_closed': text<{ since: string | null; reengage: ReengageHint | null }>(
    ({ since, reengage }) =>
      `The 24-hour window is closed${since ? ` (since ${since})` : ''}: WhatsApp accepts only an approved template now. ` +
      (reengage
        ? `Send the re-engagement template ${reengage.template} (${reengage.method} ${reengage.url}); ` +
          'when the participant answers, the window opens again.'
        : 'No template applies to this sender (not registered, opted out, or nothing owed).'),
    ({ since, reengage }) =>
      `Jendela 24 jam sudah tertutup${since ? ` (sejak ${since})` : ''}: WhatsApp kini hanya menerima template yang disetujui. ` +
      (reengage
        ? `Kirim template pengingat ${reengage.template} (${reengage.method} ${reengage.url}); ` +
          'begitu peserta menjawab, jendela terbuka lagi.'
        : 'Tidak ada template yang berlaku untuk pengirim ini (belum terdaftar, berhenti menerima pengingat, atau tidak ada tunggakan).'),
  ),
  'handoff.no_link_request': text(
    () => 'This conversation has no link request waiting for a decision',
    () => 'Percakapan ini tidak punya permintaan hubungkan nomor yang menunggu keputusan',
  ),
  'handoff.number_registered': text(
    () =>
      'Someone has since been registered on this number: it belongs to them, and cannot be linked to another participant',
    () =>
      'Sejak itu ada peserta yang terdaftar pada nomor ini: nomor ini miliknya dan tidak dapat dihubungkan dengan peserta lain',
  ),
  'handoff.no_template': text<{ why: NoTemplateWhy; template: string }>(
    (p) => `No re-engagement template can go: ${NO_TEMPLATE[p.why].en(p)}`,
    (p) => `Tidak ada template pengingat yang bisa dikirim: ${NO_TEMPLATE[p.why].id(p)}`,
  ),
};

export type MessageKey = keyof typeof MESSAGES;
export type ParamsOf<K extends MessageKey> = Parameters<(typeof MESSAGES)[K]['en']>[0];

/** A message not yet put in words: its key and parameters. */
export interface Message<K extends MessageKey = MessageKey> {
  key: K;
  params: ParamsOf<K>;
}

/** `msg('campaign.not_found', { id })`; a key without parameters takes none. */
export function msg<K extends MessageKey>(
  key: K,
  ...params: ParamsOf<K> extends void ? [] : [ParamsOf<K>]
): Message<K> {
  return { key, params: params[0] as ParamsOf<K> };
}

/** The message in words, in `language`. */
export function render(message: Message, language: Language): string {
  const say = MESSAGES[message.key][language] as (params: ParamsOf<typeof message.key>) => string;
  return say(message.params);
}
