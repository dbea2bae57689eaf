import { describe, expect, it } from 'vitest';
import { languageOf } from '../../../src/errors/index.js';

describe('languageOf (Accept-Language)', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['id', 'id'],
    ['en', 'en'],
    ['id-ID', 'id'],
    ['ID', 'id'],
    ['id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7', 'id'],
    ['en-US,en;q=0.9,id;q=0.8', 'en'],
    // a language we do not have is passed over for the next one asked for
    ['jv,id;q=0.5', 'id'],
    ['fr-FR,fr;q=0.9', 'en'],
    ['*', 'en'],
    // by weight, not by order
    ['en;q=0.3, id;q=0.8', 'id'],
    ['id;q=0, en;q=0.1', 'en'],
    // equal weights: the first written
    ['id;q=0.5, en;q=0.5', 'id'],
    ['nonsense;;q=x, id', 'id'],
  ])('%j reads as %s', (header, language) => {
    expect(languageOf(header)).toBe(language);
  });
});
