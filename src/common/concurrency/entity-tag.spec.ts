import { InvalidInputError, PreconditionFailedError } from '../errors/domain-errors.js';
import { assertPreconditions, entityTag, parseTagCondition, strongMatch, tagOf, weakMatch, withEntityTag } from './entity-tag.js';

const ID = '1f6d2c9e-3b0a-4c1e-9a4f-0c2b7e5d8a11';

describe('entityTag', () => {
  it('is a strong, quoted, opaque tag of 22 base64url characters, one per id and version', () => {
    expect(entityTag(ID, '7')).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(entityTag(ID, '7')).toBe(entityTag(ID, 7));
    expect(entityTag(ID, '8')).not.toBe(entityTag(ID, '7'));
    expect(entityTag('2f6d2c9e-3b0a-4c1e-9a4f-0c2b7e5d8a11', '7')).not.toBe(entityTag(ID, '7'));
  });

  it('rides on the body under a symbol that JSON never serializes', () => {
    const body = withEntityTag({ a: 1 }, '"x"');
    expect(tagOf(body)).toBe('"x"');
    expect(JSON.stringify(body)).toBe('{"a":1}');
    expect(Object.keys(body)).toEqual(['a']);
    expect(tagOf({ a: 1 })).toBeUndefined();
    expect(tagOf(null)).toBeUndefined();
  });
});

describe('parseTagCondition', () => {
  it.each([
    ['*', '*'],
    ['"a"', [{ weak: false, opaque: '"a"' }]],
    ['W/"a"', [{ weak: true, opaque: '"a"' }]],
    ['""', [{ weak: false, opaque: '""' }]],
    [
      '"a", W/"b" ,"c"',
      [
        { weak: false, opaque: '"a"' },
        { weak: true, opaque: '"b"' },
        { weak: false, opaque: '"c"' },
      ],
    ],
    ['"a,b"', [{ weak: false, opaque: '"a,b"' }]],
    [', "a",', [{ weak: false, opaque: '"a"' }]],
  ])('accepts %s', (raw, parsed) => {
    expect(parseTagCondition(raw, 'If-Match')).toEqual(parsed);
  });

  it('joins several header lines into one list', () => {
    expect(parseTagCondition(['"a"', '"b"'], 'If-Match')).toEqual([
      { weak: false, opaque: '"a"' },
      { weak: false, opaque: '"b"' },
    ]);
  });

  it.each(['', ' ', ',', 'a', '"a', 'a"', '"a" "b"', 'w/"a"', 'W/ "a"', '* , "a"', '"a"b', '"\u0001"', '"a\\"b"'])(
    'refuses %j with a 400 naming the header',
    (raw) => {
      const error = (() => {
        try {
          parseTagCondition(raw, 'If-None-Match');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).errors).toEqual([{ field: 'If-None-Match', message: expect.any(String) }]);
    },
  );

  it('refuses more than 100 tags', () => {
    expect(() => parseTagCondition(Array.from({ length: 101 }, () => '"a"').join(','), 'If-Match')).toThrow(InvalidInputError);
    expect(parseTagCondition(Array.from({ length: 100 }, () => '"a"').join(','), 'If-Match')).toHaveLength(100);
  });
});

describe('comparison (RFC 9110 section 8.8.3.2)', () => {
  const strong = [{ weak: false, opaque: '"1"' }];
  const weak = [{ weak: true, opaque: '"1"' }];
  it('strong: both strong and equal', () => {
    expect(strongMatch(strong, '"1"')).toBe(true);
    expect(strongMatch(weak, '"1"')).toBe(false);
    expect(strongMatch(strong, 'W/"1"')).toBe(false);
    expect(strongMatch(strong, '"2"')).toBe(false);
    expect(strongMatch('*', '"2"')).toBe(true);
  });
  it('weak: equal opaque tags, weak or not', () => {
    expect(weakMatch(strong, '"1"')).toBe(true);
    expect(weakMatch(weak, '"1"')).toBe(true);
    expect(weakMatch(weak, 'W/"1"')).toBe(true);
    expect(weakMatch(strong, '"2"')).toBe(false);
    expect(weakMatch('*', '"2"')).toBe(true);
  });
});

describe('assertPreconditions', () => {
  const current = '"1"';
  it('passes without conditions, with a matching If-Match and with a non-matching If-None-Match', () => {
    expect(() => assertPreconditions(undefined, current, 'person')).not.toThrow();
    expect(() => assertPreconditions({}, current, 'person')).not.toThrow();
    expect(() => assertPreconditions({ ifMatch: [{ weak: false, opaque: current }] }, current, 'person')).not.toThrow();
    expect(() => assertPreconditions({ ifNoneMatch: [{ weak: false, opaque: '"2"' }] }, current, 'person')).not.toThrow();
  });
  it('refuses a stale If-Match and a matching If-None-Match with a 412', () => {
    expect(() => assertPreconditions({ ifMatch: [{ weak: false, opaque: '"2"' }] }, current, 'person')).toThrow(PreconditionFailedError);
    expect(() => assertPreconditions({ ifNoneMatch: '*' }, current, 'person')).toThrow(PreconditionFailedError);
    expect(() => assertPreconditions({ ifMatch: '*', ifNoneMatch: [{ weak: true, opaque: current }] }, current, 'person')).toThrow(
      PreconditionFailedError,
    );
  });
});
