import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { generateToken, hashToken, isWellFormedToken, TOKEN_PREFIX } from './token-format.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Replaces the character at `index` with a different one of the token alphabet. */
function flip(token: string, index: number, shift = 1): string {
  const next = ALPHABET[(ALPHABET.indexOf(token[index]) + shift) % ALPHABET.length];
  return token.slice(0, index) + next + token.slice(index + 1);
}

describe('token format', () => {
  it('generates tokens with the ogm_ prefix and 36 base62 characters', () => {
    const token = generateToken();
    expect(TOKEN_PREFIX).toBe('ogm_');
    expect(token).toMatch(/^ogm_[0-9A-Za-z]{36}$/);
  });

  it('accepts every token it generates', () => {
    for (let i = 0; i < 500; i++) expect(isWellFormedToken(generateToken())).toBe(true);
  });

  it('generates distinct tokens', () => {
    const tokens = new Set(Array.from({ length: 5000 }, generateToken));
    expect(tokens.size).toBe(5000);
  });

  it('draws at least 128 random bits (the 30 random characters are not constant)', () => {
    // 30 base62 characters carry log2(62) * 30 ~ 178 bits; every position must actually vary.
    const samples = Array.from({ length: 200 }, () => generateToken().slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 30));
    for (let position = 0; position < 30; position++) {
      expect(new Set(samples.map((s) => s[position])).size).toBeGreaterThan(1);
    }
    expect(30 * Math.log2(62)).toBeGreaterThanOrEqual(128);
  });

  it('refuses a token with any single character changed (random part or checksum)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: TOKEN_PREFIX.length, max: TOKEN_PREFIX.length + 35 }),
        fc.integer({ min: 1, max: 61 }),
        (index, shift) => {
          expect(isWellFormedToken(flip(generateToken(), index, shift))).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses two adjacent characters swapped', () => {
    let token = generateToken();
    while (token[10] === token[11]) token = generateToken();
    const swapped = token.slice(0, 10) + token[11] + token[10] + token.slice(12);
    expect(isWellFormedToken(swapped)).toBe(false);
  });

  it.each([
    ['another prefix', (t: string) => `ghp_${t.slice(4)}`],
    ['no prefix', (t: string) => t.slice(4)],
    ['upper-case prefix', (t: string) => `OGM_${t.slice(4)}`],
    ['one character short', (t: string) => t.slice(0, -1)],
    ['one character too many', (t: string) => `${t}a`],
    ['a character outside base62', (t: string) => `${t.slice(0, 10)}-${t.slice(11)}`],
    ['surrounding whitespace', (t: string) => ` ${t} `],
    ['the empty string', () => ''],
  ])('refuses %s', (_label, mangle) => {
    expect(isWellFormedToken(mangle(generateToken()))).toBe(false);
  });

  it('hashes to 64 lower-case hex characters (SHA-256), deterministically', () => {
    const token = generateToken();
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).toBe(hashToken(token));
    expect(hashToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes different tokens differently and never contains the token', () => {
    const a = generateToken();
    const b = generateToken();
    expect(hashToken(a)).not.toBe(hashToken(b));
    expect(hashToken(a)).not.toContain(a.slice(TOKEN_PREFIX.length));
  });
});
