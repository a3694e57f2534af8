import { InvalidInputError } from '../errors/domain-errors.js';
import { likeContains, MAX_SORT_TERMS, parseSort } from './sort.js';

const FIELDS = ['lastName', 'firstName', 'email', 'createdAt'] as const;

function refusal(value: string, field?: string): InvalidInputError {
  try {
    parseSort(value, FIELDS, field);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error(`expected parseSort(${JSON.stringify(value)}) to throw`);
}

describe('parseSort', () => {
  it('returns no terms for an absent or blank value', () => {
    expect(parseSort(undefined, FIELDS)).toEqual([]);
    expect(parseSort('', FIELDS)).toEqual([]);
    expect(parseSort('  ', FIELDS)).toEqual([]);
  });

  it('parses comma-separated fields with - for descending and + or nothing for ascending', () => {
    expect(parseSort('lastName,-firstName, +email', FIELDS)).toEqual([
      { field: 'lastName', direction: 'asc' },
      { field: 'firstName', direction: 'desc' },
      { field: 'email', direction: 'asc' },
    ]);
  });

  it('refuses an unknown field with a 400 naming the parameter, the field and the allowed ones', () => {
    const error = refusal('lastName,salary');
    expect(error.status).toBe(400);
    expect(error.errors).toEqual([
      { field: 'sort', message: 'unknown sort field "salary"; allowed: lastName, firstName, email, createdAt' },
    ]);
  });

  it('names the parameter it was given', () => {
    expect(refusal('salary', 'order').errors[0].field).toBe('order');
  });

  it('refuses SQL-looking input as an unknown field', () => {
    expect(refusal('lastName; drop table person--').errors[0]).toEqual({
      field: 'sort',
      message: expect.stringContaining('unknown sort field "lastName; drop table person--"'),
    });
    expect(refusal("email') or 1=1").errors[0].field).toBe('sort');
  });

  it('truncates an absurdly long field name in the message', () => {
    const message = refusal('x'.repeat(5000)).errors[0].message;
    expect(message).toContain(`"${'x'.repeat(100)}"`);
    expect(message.length).toBeLessThan(300);
  });

  it('refuses a field given twice, even in both directions', () => {
    expect(refusal('email,-email').errors).toEqual([{ field: 'sort', message: 'sort field "email" is given twice' }]);
  });

  it('refuses empty terms', () => {
    expect(refusal('email,,lastName').errors[0].field).toBe('sort');
    expect(refusal('-').errors[0].field).toBe('sort');
  });

  it(`accepts at most ${MAX_SORT_TERMS} terms`, () => {
    const many = Array.from({ length: MAX_SORT_TERMS + 1 }, (_, i) => `f${i}`);
    const allowed = many;
    expect(parseSort(many.slice(0, MAX_SORT_TERMS).join(','), allowed)).toHaveLength(MAX_SORT_TERMS);
    expect(() => parseSort(many.join(','), allowed)).toThrow(InvalidInputError);
  });
});

describe('likeContains', () => {
  it('wraps the value in % and escapes LIKE wildcards and the escape character', () => {
    expect(likeContains('ada')).toBe('%ada%');
    expect(likeContains('50%_off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
