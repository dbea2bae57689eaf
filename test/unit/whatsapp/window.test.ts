import { describe, expect, it } from 'vitest';
import { isWindowOpen, SERVICE_WINDOW_INTERVAL, windowClosesAt } from '../../../src/whatsapp/window.js';

describe('the 24-hour customer-service window', () => {
  const wrote = new Date('2026-03-09T10:00:00Z');

  it('is open until 24 hours after the last message, and closed from that instant', () => {
    expect(windowClosesAt(wrote)?.toISOString()).toBe('2026-03-10T10:00:00.000Z');
    expect(isWindowOpen(wrote, new Date('2026-03-10T09:59:59.999Z'))).toBe(true);
    expect(isWindowOpen(wrote, new Date('2026-03-10T10:00:00Z'))).toBe(false);
  });

  it('is closed for a contact that never wrote', () => {
    expect(windowClosesAt(null)).toBeNull();
    expect(isWindowOpen(undefined, wrote)).toBe(false);
  });

  it('gives SQL the same length', () => {
    expect(SERVICE_WINDOW_INTERVAL).toBe(`${24 * 3600 * 1000} milliseconds`);
  });
});
