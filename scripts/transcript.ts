// Prints a real conversation as Markdown, for the README: the service runs on embedded PostgreSQL and an
// in-process queue, with a local fake Cloud API that records every request body the service sends.
// Usage: npx tsx scripts/transcript.ts
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { importBills, importParticipants } from '../src/participants/index.js';
import { startService } from '../src/service.js';
import { signBody } from '../src/whatsapp/index.js';

interface Sent {
  type: string;
  text?: { body: string };
  interactive?: {
    type: string;
    body: { text: string };
    action: {
      button?: string;
      buttons?: { reply: { title: string } }[];
      sections?: { rows: { title: string }[] }[];
    };
  };
}

const sent: Sent[] = [];
const fake = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    sent.push(JSON.parse(body) as Sent);
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        messaging_product: 'whatsapp',
        messages: [{ id: `wamid.${randomBytes(8).toString('hex')}` }],
      }),
    );
  });
});
await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
const apiUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;

const dir = mkdtempSync(join(tmpdir(), 'tagih-transcript-'));
const config = loadConfig({
  DATA_DIR: dir,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  WHATSAPP_API_URL: apiUrl,
  WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
  WHATSAPP_ACCESS_TOKEN: 'local',
  WHATSAPP_APP_SECRET: 'transcript-secret',
  WHATSAPP_VERIFY_TOKEN: 'transcript',
  OFFICE_HOURS: 'Mon-Sun 00:00-23:59',
});
const service = await startService(config);
const db = service.database.db;
await importParticipants(
  db,
  [
    {
      kpj: '11111111111',
      name: 'Siti Aminah',
      phone: '0812-3456-0001',
      birthDate: '17-08-1965',
      category: 'BPU',
    },
  ],
  { dataKey: service.secrets.dataKey, timeZone: config.businessTz, actor: 'transcript', source: 'json' },
);
await importBills(
  db,
  [
    {
      kpj: '11111111111',
      period: '2026-10',
      amount: 36800,
      dueDate: '2026-10-15',
      paymentCode: '8801000011110001',
    },
    {
      kpj: '11111111111',
      period: '2026-11',
      amount: 36800,
      dueDate: '2026-11-15',
      paymentCode: '8801000011110002',
    },
  ],
  { actor: 'transcript', source: 'json' },
);

const from = '6281234560001';
let clock = Math.floor(Date.now() / 1000);
const lines: string[] = [];

async function participant(label: string, message: Record<string, unknown>): Promise<void> {
  lines.push(`**Siti:** ${label}`, '');
  const before = sent.length;
  const payload = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '6281100000000', phone_number_id: '106540352242922' },
              contacts: [{ profile: { name: 'Siti' }, wa_id: from }],
              messages: [
                {
                  from,
                  id: `wamid.${randomBytes(8).toString('hex')}`,
                  timestamp: String(clock++),
                  ...message,
                },
              ],
            },
          },
        ],
      },
    ],
  };
  const body = JSON.stringify(payload);
  await fetch(`${service.address}/webhooks/whatsapp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': signBody(body, 'transcript-secret'),
    },
    body,
  });
  await service.app.drainBackgroundWork();
  for (let i = 0; i < 40 && sent.length === before; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 400));
  for (const reply of sent.slice(before)) lines.push(...render(reply), '');
}

function render(b: Sent): string[] {
  const quote = (s: string) => s.split('\n').map((l) => `> ${l}`);
  if (b.text) return ['**Tagih:**', ...quote(b.text.body)];
  const i = b.interactive!;
  const options =
    i.action.buttons?.map((x) => `[${x.reply.title}]`).join(' ') ??
    i.action.sections?.flatMap((s) => s.rows.map((r) => `[${r.title}]`)).join(' ') ??
    '';
  return ['**Tagih:**', ...quote(i.body.text), `> ${options}`];
}

await participant('taps *Cek iuran* on the reminder', {
  type: 'button',
  button: { payload: 'BILL', text: 'Cek iuran' },
});
await participant('17-08-1956', { type: 'text', text: { body: '17-08-1956' } });
await participant('17-08-1965', { type: 'text', text: { body: '17-08-1965' } });
await participant('Cara bayar', {
  type: 'interactive',
  interactive: { type: 'button_reply', button_reply: { id: 'PAY', title: 'Cara bayar' } },
});
await participant('picks *DANA*', {
  type: 'interactive',
  interactive: { type: 'list_reply', list_reply: { id: 'PAYCH:dana', title: 'DANA' } },
});
await participant('STOP', { type: 'text', text: { body: 'STOP' } });

console.log(lines.join('\n'));
await service.stop();
fake.close();
rmSync(dir, { recursive: true, force: true });
