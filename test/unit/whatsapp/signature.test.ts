import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from '../../../src/whatsapp/index.js';

const SECRET = 'app-secret-123';
// Meta signs the body with non-ASCII escaped, so these bytes differ from JSON.stringify of the parsed value.
const raw = Buffer.from('{"object":"whatsapp_business_account","name":"Lucía \\u00e9"}');

describe('signBody', () => {
  it('is sha256= and the lowercase hex HMAC of the raw bytes', () => {
    const expected = createHmac('sha256', SECRET).update(raw).digest('hex');
    expect(signBody(raw, SECRET)).toBe(`sha256=${expected}`);
    expect(signBody(raw.toString('utf8'), SECRET)).toBe(`sha256=${expected}`);
  });
});

describe('verifySignature', () => {
  const header = signBody(raw, SECRET);

  it('accepts the signature of the exact bytes', () => {
    expect(verifySignature(raw, header, SECRET)).toBe(true);
  });

  it('accepts an uppercase hex digest', () => {
    expect(verifySignature(raw, `sha256=${header.slice(7).toUpperCase()}`, SECRET)).toBe(true);
  });

  it('rejects a different secret, a changed body and a re-serialised body', () => {
    expect(verifySignature(raw, header, 'other-secret')).toBe(false);
    expect(verifySignature(Buffer.concat([raw, Buffer.from(' ')]), header, SECRET)).toBe(false);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
    expect(verifySignature(reserialised, header, SECRET)).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['no prefix', header.slice(7)],
    ['sha1 prefix', `sha1=${header.slice(7)}`],
    ['prefix only', 'sha256='],
    ['short digest', header.slice(0, -2)],
    ['long digest', `${header}00`],
    ['non-hex tail', `${header.slice(0, -1)}z`],
    ['trailing space', `${header} `],
    ['digest with junk after valid hex', `${header.slice(0, 20)}zz${header.slice(22)}`],
  ])('rejects a malformed header (%s)', (_, h) => {
    expect(verifySignature(raw, h, SECRET)).toBe(false);
  });

  it('never verifies with an empty app secret, even a signature made with it', () => {
    expect(verifySignature(raw, signBody(raw, ''), '')).toBe(false);
  });

  it('is false, not a throw, for a non-string header or non-buffer body', () => {
    expect(verifySignature(raw, 42 as unknown as string, SECRET)).toBe(false);
    expect(verifySignature('text' as unknown as Buffer, header, SECRET)).toBe(false);
  });
});
