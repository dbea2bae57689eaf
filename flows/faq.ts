import { words } from './text.js';
import type { FlowId } from './types.js';

// Common questions, matched lightly: a question matches a topic when one of its patterns has all of its
// words in the message. A pattern word of five letters or more also matches inside a longer word, which
// catches Indonesian affixes ("pembayaran" has "bayar", "terdaftar" has "daftar"). Topics are tried in
// order: "already paid" before paying, and the personal requests (my bill, how to pay) before the
// general answers.

export interface FaqTopic {
  id: string;
  /** the answer's locale key; none when the topic hands over to a flow */
  key?: string;
  /** a flow that answers this better than a text */
  next?: FlowId;
  /** show the menu after the answer (not after a "thank you") */
  menu: boolean;
  patterns: string[][];
  /** patterns tried only when no topic matched with its own patterns: a bare "bayar" */
  weak?: string[][];
}

const p = (...patterns: string[]): string[][] => patterns.map((x) => x.split(' '));

export const FAQ: readonly FaqTopic[] = [
  {
    id: 'paid',
    key: 'faq.paid',
    menu: true,
    patterns: p(
      'sudah bayar',
      'sudah dibayar',
      'already paid',
      'sampun mbayar',
      'sampun bayar',
      'wis bayar',
      'sdh bayar',
    ),
  },
  {
    id: 'bill',
    next: 'bill',
    menu: false,
    patterns: p(
      'tagihan',
      'tunggakan',
      'cek iuran',
      'iuran saya',
      'my bill',
      'my contribution',
      'owe',
      'tagihanipun',
    ),
  },
  {
    id: 'pay',
    next: 'pay',
    menu: false,
    patterns: p(
      'cara bayar',
      'bayar dimana',
      'bayar mana',
      'how pay',
      'where pay',
      'cara mbayar',
      'kode iuran',
      'kode bayar',
    ),
    weak: p('bayar', 'pay', 'mbayar'),
  },
  {
    id: 'amount',
    key: 'faq.bpu_amount',
    menu: true,
    patterns: p(
      'berapa iuran',
      'besar iuran',
      'besaran',
      'nominal',
      'how much',
      'pinten',
      'iuran bpu',
      'biaya',
    ),
  },
  {
    id: 'late',
    key: 'faq.late',
    menu: true,
    patterns: p(
      'telat',
      'terlambat',
      'nunggak',
      'denda',
      'tidak aktif',
      'nonaktif',
      'late',
      'lapse',
      'lapsed',
      'hangus',
    ),
  },
  {
    id: 'jmo',
    key: 'faq.jmo',
    menu: true,
    patterns: p('jmo', 'jamsostek mobile', 'aplikasi', 'app'),
  },
  {
    id: 'register',
    key: 'faq.register',
    menu: true,
    patterns: p(
      'daftar',
      'register',
      'registrasi',
      'ganti nomor',
      'ubah nomor',
      'nomor baru',
      'change number',
      'new number',
      'sign up',
    ),
  },
  {
    id: 'office',
    key: 'faq.office',
    menu: true,
    patterns: p(
      'alamat',
      'kantor',
      'office',
      'address',
      'jam buka',
      'jam kerja',
      'opening hours',
      'lokasi',
      'location',
      'griya',
    ),
  },
  {
    id: 'thanks',
    key: 'faq.thanks',
    menu: false,
    patterns: p('terima kasih', 'terimakasih', 'makasih', 'thanks', 'thank', 'matur nuwun', 'suwun', 'tq'),
  },
  {
    id: 'greeting',
    key: 'faq.greeting',
    menu: true,
    patterns: p(
      'halo',
      'hallo',
      'hai',
      'hi',
      'hello',
      'assalamualaikum',
      'selamat pagi',
      'selamat siang',
      'selamat sore',
      'selamat malam',
      'sugeng',
      'permisi',
      'pagi',
      'siang',
      'sore',
    ),
  },
];

function hasWord(tokens: string[], w: string): boolean {
  return tokens.some((t) => t === w || (w.length >= 5 && t.includes(w)));
}

/** The first topic the text matches, or null. */
export function matchFaq(text: string): FaqTopic | null {
  const tokens = words(text);
  if (tokens.length === 0) return null;
  const matches = (pattern: string[]) => pattern.every((w) => hasWord(tokens, w));
  return (
    FAQ.find((topic) => topic.patterns.some(matches)) ??
    FAQ.find((topic) => topic.weak?.some(matches)) ??
    null
  );
}

export function faqTopic(id: string | null): FaqTopic | null {
  return FAQ.find((topic) => topic.id === id) ?? null;
}
