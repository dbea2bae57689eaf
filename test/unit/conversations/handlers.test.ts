import { describe, expect, it } from 'vitest';
import { EFFECT_TYPES } from '../../../flows/index.js';
import { HANDLERS } from '../../../src/conversations/handlers/index.js';
import { say } from '../../../src/conversations/handlers/say.js';
import type { HandlerDeps, Scene } from '../../../src/conversations/handlers/types.js';
import type { Db } from '../../../src/db/index.js';
import { createTranslator } from '../../../src/i18n/index.js';
import type { Message } from '../../../src/messages/index.js';
import type { Outbound, OutboundRequest } from '../../../src/outbound/index.js';

describe('effect handlers: one for every kind of effect a flow emits', () => {
  it('has a handler for each effect type, and nothing else', () => {
    expect(Object.keys(HANDLERS).sort()).toEqual([...EFFECT_TYPES].sort());
  });

  it('renders every kind of Say with the one say handler', () => {
    const sayTypes = EFFECT_TYPES.filter((type) => type.startsWith('say'));
    expect(sayTypes.length).toBeGreaterThan(0);
    for (const type of sayTypes) expect(HANDLERS[type]).toBe(say);
  });
});

describe('the say handler', () => {
  const participant = {
    id: 7,
    kpj: '11111111111',
    name: 'Siti Aminah',
    waId: '6281234560001',
    birthDateHash: 'x',
    category: 'BPU' as const,
    language: 'id' as const,
    optedOut: false,
    whatsappUnreachableAt: null,
    createdAt: new Date(),
    updatedAt: new Date(),
  };

  function sceneAndDeps(verified: boolean) {
    const queued: OutboundRequest[] = [];
    const errors: string[] = [];
    const deps = {
      db: {} as Db,
      outbound: {
        enqueue: async (req: OutboundRequest) => {
          queued.push(req);
          return { messageId: queued.length, duplicate: false };
        },
      } as unknown as Outbound,
      t: createTranslator(),
      dataKey: 'k'.repeat(32),
      config: { officeHours: { days: [1, 2, 3, 4, 5], start: 480, end: 960 }, businessTz: 'Asia/Jakarta' },
      now: () => new Date('2026-11-23T03:00:00Z'),
      facts: async () => {
        throw new Error('not asked');
      },
      log: { warn: () => undefined, error: (_: object, msg: string) => void errors.push(msg) },
    } satisfies HandlerDeps;
    const scene: Scene = {
      sender: {
        contact: {
          id: 1,
          contactKey: participant.waId,
          waId: participant.waId,
          userId: null,
          profileName: null,
          language: null,
          lastInboundAt: null,
          createdAt: new Date(),
        },
        holders: [participant],
        participant,
        verified,
        linkCandidate: null,
        language: 'id',
        to: participant.waId,
      },
      message: { wamid: 'wamid.IN1' } as Message,
      replies: { n: 0 },
    };
    return { queued, errors, deps, scene };
  }

  it('queues each reply keyed on the inbound message, counting on across effects', async () => {
    const { queued, deps, scene } = sceneAndDeps(false);
    await say({ type: 'say', params: { key: 'verify.ask' } }, scene, deps);
    await say({ type: 'sayMenu', params: {} }, scene, deps);
    expect(queued.map((q) => q.dedupeKey)).toEqual(['reply:wamid.IN1:0', 'reply:wamid.IN1:1']);
    expect(queued[0]).toMatchObject({ contactKey: '6281234560001', participantId: 7, priority: 'reply' });
    expect(queued[0]?.text).toBe(deps.t('id', 'verify.ask'));
  });

  it('refuses to render a bill for a sender whose birth date is not confirmed', async () => {
    const { queued, errors, deps, scene } = sceneAndDeps(false);
    await say({ type: 'sayBill', params: {} }, scene, deps);
    await say({ type: 'sayPaymentSteps', params: { channel: 'bri' } }, scene, deps);
    expect(queued).toHaveLength(0);
    expect(errors).toHaveLength(2);
  });
});
