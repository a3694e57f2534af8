import { InvalidInputError } from '../errors/domain-errors.js';
import { canonicalJson, parseIdempotencyKey, requestFingerprint } from './idempotency-key.js';

describe('parseIdempotencyKey', () => {
  it('accepts 1 to 255 printable ASCII characters', () => {
    expect(parseIdempotencyKey('a')).toBe('a');
    expect(parseIdempotencyKey('k'.repeat(255))).toHaveLength(255);
    expect(parseIdempotencyKey('a b~!"{}')).toBe('a b~!"{}');
  });
  it.each([[''], ['k'.repeat(256)], ['clé'], ['a\tb'], ['\u007f'], [['a', 'b']]])('refuses %j naming the header', (raw) => {
    expect(() => parseIdempotencyKey(raw)).toThrow(InvalidInputError);
  });
});

describe('requestFingerprint', () => {
  it('ignores key order, but not values, method, path or query', () => {
    const base = requestFingerprint('POST', '/a', { x: 1, y: { b: 2, a: [1, { d: 1, c: 2 }] } });
    expect(requestFingerprint('post', '/a', { y: { a: [1, { c: 2, d: 1 }], b: 2 }, x: 1 })).toBe(base);
    expect(requestFingerprint('POST', '/a', { x: 2, y: { b: 2, a: [1, { d: 1, c: 2 }] } })).not.toBe(base);
    expect(requestFingerprint('PUT', '/a', { x: 1, y: { b: 2, a: [1, { d: 1, c: 2 }] } })).not.toBe(base);
    expect(requestFingerprint('POST', '/b', { x: 1, y: { b: 2, a: [1, { d: 1, c: 2 }] } })).not.toBe(base);
    expect(requestFingerprint('POST', '/a?q=1', { x: 1, y: { b: 2, a: [1, { d: 1, c: 2 }] } })).not.toBe(base);
  });
  it('tells bodies of different kinds apart', () => {
    const kinds = [undefined, null, '1', 1, '"1"', Buffer.from('1'), [], {}].map((b) => requestFingerprint('POST', '/a', b));
    expect(new Set(kinds).size).toBe(kinds.length);
  });
  it('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: [{ z: 1, a: null }], a: 'x' })).toBe('{"a":"x","b":[{"a":null,"z":1}]}');
  });
});
