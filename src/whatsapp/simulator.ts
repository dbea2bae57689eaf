import { randomBytes } from 'node:crypto';
import type { CloudApiClient } from './client.js';
import { maskPhone } from './mask.js';
import type { OutboundBody } from './messages.js';

export interface SimulatorOptions {
  log?: (line: string) => void;
}

/** A wamid shaped like Meta's, with a prefix that makes simulated sends obvious in the database. */
const simulatedWamid = (): string => `wamid.SIM${randomBytes(12).toString('hex').toUpperCase()}`;

/**
 * The Cloud API client for embedded mode (no access token): accepts every send without any network
 * call. Logs the masked recipient and the message type only, never the content: texts carry personal data.
 */
export function createSimulatorClient(opts: SimulatorOptions = {}): CloudApiClient {
  const log = opts.log ?? (() => {});
  return {
    async send(body: OutboundBody) {
      const wamid = simulatedWamid();
      const to = body.to ?? body.recipient ?? '';
      log(`[whatsapp-sim] send ${body.type} to ${maskPhone(to)}: ${wamid}`);
      return body.to !== undefined
        ? { ok: true, wamid, waId: body.to.replace(/^\+/, '') }
        : { ok: true, wamid, userId: to };
    },
    async markRead(wamid, markOpts) {
      log(`[whatsapp-sim] mark read${markOpts?.typing ? ' + typing' : ''}: ${wamid}`);
      return { ok: true };
    },
  };
}
