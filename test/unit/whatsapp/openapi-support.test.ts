import { describe, expect, it } from 'vitest';
import { oasSendExamples, oasWebhookExamples, validateOas } from '../../support/openapi.js';

// The helper repairs generator bugs in Meta's spec (see test/support/openapi.ts). These tests pin that
// the repaired schemas accept Meta's own examples and still reject what they should.
describe('validateOas on the repaired spec', () => {
  it("accepts Meta's message webhook examples (the group ones are wrong in the spec itself)", () => {
    const results = oasWebhookExamples().map((e) => [e.name, validateOas('WebhookPayload', e.payload).valid]);
    expect(results.filter(([, ok]) => !ok).map(([name]) => name)).toEqual([
      'Group Create Message',
      'Group Settings Update',
      'Group Remove Participants',
    ]);
  });

  it("accepts Meta's text, reply-button, list and template send examples", () => {
    const byName = new Map(oasSendExamples().map((e) => [e.name, e.payload]));
    for (const name of [
      'Send Text Message',
      'Send Reply to Text Message',
      'Send Reply Button',
      'Send List Message',
      'Send Message Template Text',
      'Send Message Template Interactive',
    ]) {
      expect(validateOas('Message', byName.get(name)).errors, name).toBe('');
    }
  });

  it('still rejects unknown fields, over-long titles and a missing recipient', () => {
    const text = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '62812',
      type: 'text',
      text: { body: 'x' },
    };
    expect(validateOas('TextMessage', text).valid).toBe(true);
    expect(validateOas('TextMessage', { ...text, colour: 'red' }).valid).toBe(false);
    expect(validateOas('TextMessage', { ...text, to: undefined }).valid).toBe(false);
    const button = {
      ...text,
      type: 'interactive',
      text: undefined,
      interactive: {
        type: 'button',
        body: { text: 'x' },
        action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'x'.repeat(21) } }] },
      },
    };
    expect(validateOas('InteractiveMessage', button).valid).toBe(false);
  });

  it('reports readable errors and refuses unknown schema names', () => {
    expect(validateOas('WebhookPayload', { object: 'whatsapp_business_account' }).errors).toContain(
      "must have required property 'entry'",
    );
    expect(() => validateOas('NoSuchSchema', {})).toThrow(/NoSuchSchema/);
  });
});
