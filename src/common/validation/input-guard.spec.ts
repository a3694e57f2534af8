import fc from 'fast-check';
import { InvalidInputError } from '../errors/domain-errors.js';
import { assertSafeInput, JsonShapeScanner, MAX_JSON_DEPTH, MAX_JSON_VALUES, MAX_OBJECT_KEYS } from './input-guard.js';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function refusal(value: unknown, root = 'body'): InvalidInputError {
  try {
    assertSafeInput(value, root);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected assertSafeInput to throw');
}

describe('assertSafeInput', () => {
  it('accepts ordinary input, null and undefined', () => {
    expect(() => assertSafeInput({ email: 'a@b.c', tags: ['x', 1, true, null] }, 'body')).not.toThrow();
    expect(() => assertSafeInput(undefined, 'body')).not.toThrow();
    expect(() => assertSafeInput(null, 'query')).not.toThrow();
  });

  it(`accepts ${MAX_JSON_DEPTH} levels of nesting and refuses one more`, () => {
    expect(() => assertSafeInput(nested(MAX_JSON_DEPTH), 'body')).not.toThrow();
    expect(refusal(nested(MAX_JSON_DEPTH + 1)).errors[0].message).toBe(`is nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('refuses 40 levels of arrays too, naming the path', () => {
    let value: unknown = 1;
    for (let i = 0; i < 40; i++) value = [value];
    const error = refusal({ team: value });
    expect(error.errors[0].field).toMatch(/^team(\[0\])+$/);
  });

  it('refuses a NUL character in a value, naming the field', () => {
    expect(refusal({ person: { lastName: 'Love\u0000lace' } }).errors).toEqual([
      { field: 'person.lastName', message: 'must not contain NUL characters' },
    ]);
  });

  it('refuses a NUL character in a key and at the root', () => {
    expect(refusal({ 'a\u0000b': 1 }).errors[0].message).toMatch(/field names/);
    expect(refusal('x\u0000', 'query').errors).toEqual([{ field: 'query', message: 'must not contain NUL characters' }]);
  });
});

const wide = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 0]));

describe('object and value limits', () => {
  it(`accepts ${MAX_OBJECT_KEYS} keys and refuses one more, naming the object`, () => {
    expect(() => assertSafeInput({ filter: wide(MAX_OBJECT_KEYS) }, 'body')).not.toThrow();
    expect(refusal({ filter: wide(MAX_OBJECT_KEYS + 1) }).errors).toEqual([{ field: 'filter', message: 'has more than 1000 fields' }]);
    expect(refusal(wide(MAX_OBJECT_KEYS + 1)).errors).toEqual([{ field: 'body', message: 'has more than 1000 fields' }]);
  });

  it(`refuses more than ${MAX_JSON_VALUES} values in all`, () => {
    expect(() =>
      assertSafeInput(
        Array.from({ length: MAX_JSON_VALUES - 1 }, () => 0),
        'body',
      ),
    ).not.toThrow();
    expect(refusal(Array.from({ length: MAX_JSON_VALUES }, () => 0)).errors).toEqual([
      { field: 'body', message: 'has more than 100000 values in all' },
    ]);
  });
});

describe('JsonShapeScanner', () => {
  function scan(text: string, chunk = 7): JsonShapeScanner {
    const scanner = new JsonShapeScanner();
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += chunk) scanner.write(bytes.subarray(i, i + chunk));
    return scanner;
  }
  function count(value: unknown): number {
    if (value === null || typeof value !== 'object') return 1;
    return 1 + (Array.isArray(value) ? value : Object.values(value)).reduce((n: number, v) => n + count(v), 0);
  }

  it('counts values exactly as JSON.parse sees them, across chunk boundaries', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 50 }), (value, chunk) => {
        const text = JSON.stringify(value, null, chunk % 3 === 0 ? 2 : undefined);
        expect(scan(text, chunk).values).toBe(count(JSON.parse(text)));
      }),
    );
  });

  it('refuses an object of 1,001 keys before it is parsed, naming its path', () => {
    const text = JSON.stringify({ a: [{ b: { 'x"y': wide(MAX_OBJECT_KEYS + 1) } }] });
    expect(() => scan(text)).toThrow(InvalidInputError);
    try {
      scan(text);
    } catch (error) {
      expect((error as InvalidInputError).errors).toEqual([{ field: 'a[0].b.x\\"y', message: 'has more than 1000 fields' }]);
    }
    expect(() => scan(JSON.stringify({ a: wide(MAX_OBJECT_KEYS) }))).not.toThrow();
  });

  it('refuses the 100,001st value', () => {
    expect(() => scan(`[${'0,'.repeat(MAX_JSON_VALUES - 2)}0]`, 65536)).not.toThrow();
    expect(() => scan(`[${'0,'.repeat(MAX_JSON_VALUES - 1)}0]`, 65536)).toThrow('has more than 100000 values in all');
  });

  it('ignores structure inside strings', () => {
    expect(scan(JSON.stringify({ a: '{"b":[1,2,3]} \\" , :' })).values).toBe(2);
  });
});
