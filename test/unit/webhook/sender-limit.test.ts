import { describe, expect, it } from 'vitest';
import { createMemorySenderLimit } from '../../../src/webhook/index.js';

// The embedded mode's sender limit; the Redis one is exercised in test/integration/limits.test.ts.
describe('sender limit in memory', () => {
  let clock = 1_000_000;
  const limit = createMemorySenderLimit({ perMinute: 3, now: () => clock });
  const msg = (contact: string, wamid: string) => ({ contact, wamid });

  it('counts the messages of every sender in a delivery, each once however often it comes', async () => {
    expect(await limit.count([msg('a', 'a1'), msg('b', 'b1'), msg('a', 'a2')])).toBe(0);
    expect(await limit.count([msg('a', 'a1'), msg('a', 'a2')])).toBe(0);
    expect(await limit.count([msg('b', 'b2'), msg('a', 'a3')])).toBe(0);
    expect(await limit.count([msg('c', 'c1'), msg('a', 'a4'), msg('b', 'b3')])).toBe(1);
    expect(await limit.count([msg('b', 'b3')])).toBe(0);
  });

  it('forgets a message a minute after it first came', async () => {
    clock += 30_000;
    expect(await limit.count([msg('a', 'a5')])).toBe(1);
    clock += 30_001;
    expect(await limit.count([msg('a', 'a6'), msg('a', 'a7')])).toBe(0);
    expect(await limit.count([msg('a', 'a8')])).toBe(1);
  });
});
