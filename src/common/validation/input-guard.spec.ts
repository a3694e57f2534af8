import { InvalidInputError } from '../errors/domain-errors.js';
import { assertSafeInput, MAX_JSON_DEPTH } from './input-guard.js';

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
