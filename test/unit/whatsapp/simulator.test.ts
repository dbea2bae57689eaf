import { describe, expect, it } from 'vitest';
import {
  buttonMessage,
  createSimulatorClient,
  templateMessage,
  textMessage,
  withCallbackData,
} from '../../../src/whatsapp/index.js';

describe('createSimulatorClient', () => {
  it('accepts a send with a fresh wamid.SIM id and echoes the wa_id', async () => {
    const client = createSimulatorClient();
    const a = await client.send(textMessage('6281234567801', 'Halo Budi, iuran Anda Rp 150.000'));
    const b = await client.send(textMessage('+6281234567801', 'lagi'));
    expect(a).toMatchObject({ ok: true, waId: '6281234567801' });
    expect(b).toMatchObject({ ok: true, waId: '6281234567801' });
    if (!a.ok || !b.ok) throw new Error('unreachable');
    expect(a.wamid).toMatch(/^wamid\.SIM[0-9A-F]{24}$/);
    expect(a.wamid).not.toBe(b.wamid);
  });

  it('echoes a BSUID as userId', async () => {
    const r = await createSimulatorClient().send(textMessage('ID.13491208655302741918', 'x'));
    expect(r).toMatchObject({ ok: true, userId: 'ID.13491208655302741918' });
    expect(r.ok && 'waId' in r).toBe(false);
  });

  it('logs one line per send with the masked recipient and the type, never the content', async () => {
    const lines: string[] = [];
    const client = createSimulatorClient({ log: (l) => lines.push(l) });
    await client.send(withCallbackData(textMessage('6281234567801', 'Rahasia: saldo Rp 9.999.999'), 'msg:7'));
    await client.send(
      buttonMessage('6281234567801', { body: 'Bayar?', buttons: [{ id: 'PAY:1', title: 'Sudah bayar' }] }),
    );
    await client.send(
      templateMessage('ID.13491208655302741918', {
        name: 'pengingat',
        language: 'id',
        bodyParameters: ['Budi'],
      }),
    );
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[whatsapp-sim\] send text to 62812\*\*\*\*7801: wamid\.SIM/);
    expect(lines[1]).toContain('send interactive to 62812****7801');
    expect(lines[2]).toContain('send template to ID.****1918');
    const all = lines.join('\n');
    for (const secret of [
      'Rahasia',
      '9.999.999',
      'Bayar',
      'Sudah bayar',
      'PAY:1',
      'Budi',
      'msg:7',
      '6281234567801',
    ]) {
      expect(all).not.toContain(secret);
    }
  });

  it('marks read without a network call', async () => {
    const lines: string[] = [];
    const client = createSimulatorClient({ log: (l) => lines.push(l) });
    expect(await client.markRead('wamid.IN', { typing: true })).toEqual({ ok: true });
    expect(lines).toEqual(['[whatsapp-sim] mark read + typing: wamid.IN']);
  });
});
