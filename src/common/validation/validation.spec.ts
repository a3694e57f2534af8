import 'reflect-metadata';
import type { ValidationError } from '@nestjs/common';
import { IsString } from 'class-validator';
import { InvalidInputError } from '../errors/domain-errors.js';
import { createValidationPipe, flattenValidationErrors, normalizeUuid, parseBoolean, parseDate } from './validation.js';

function validationError(property: string, constraints: Record<string, string>, children: ValidationError[] = []): ValidationError {
  return { property, constraints, children };
}

describe('flattenValidationErrors', () => {
  it('gives one {field, message} per violated constraint, without repeating the property name', () => {
    const errors = [
      validationError('email', { isEmail: 'email must be an email', maxLength: 'email must be shorter than or equal to 254 characters' }),
      validationError('firstName', { isString: 'firstName must be a string' }),
    ];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'email', message: 'must be an email' },
      { field: 'email', message: 'must be shorter than or equal to 254 characters' },
      { field: 'firstName', message: 'must be a string' },
    ]);
  });

  it('keeps a message that does not start with the property name', () => {
    expect(flattenValidationErrors([validationError('force', { isBoolean: 'must be true, false, 1 or 0' })])).toEqual([
      { field: 'force', message: 'must be true, false, 1 or 0' },
    ]);
  });

  it('reports an unknown field as "is not an accepted field"', () => {
    expect(flattenValidationErrors([validationError('nickname', { whitelistValidation: 'property nickname should not exist' })])).toEqual([
      { field: 'nickname', message: 'is not an accepted field' },
    ]);
  });

  it('walks nested errors with dotted paths', () => {
    const nested = validationError('filter', {}, [
      validationError('parent', {}, [validationError('code', { isString: 'code must be a string' })]),
      validationError('name', { maxLength: 'name is too long' }),
    ]);
    expect(flattenValidationErrors([nested])).toEqual([
      { field: 'filter.parent.code', message: 'must be a string' },
      { field: 'filter.name', message: 'is too long' },
    ]);
  });

  it('gives nothing for no errors', () => {
    expect(flattenValidationErrors([])).toEqual([]);
  });
});

describe('createValidationPipe', () => {
  class Body {
    @IsString()
    name!: string;
  }
  const pipe = createValidationPipe();
  const transform = (value: unknown) => pipe.transform(value, { type: 'body', metatype: Body });

  it('turns violations and unknown fields into one InvalidInputError naming each field', async () => {
    const error = (await transform({ name: 3, colour: 'red' }).catch((e: unknown) => e)) as InvalidInputError;
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.errors).toEqual(
      expect.arrayContaining([
        { field: 'name', message: 'must be a string' },
        { field: 'colour', message: 'is not an accepted field' },
      ]),
    );
    expect(error.errors).toHaveLength(2);
  });

  it('builds a DTO instance from valid input', async () => {
    await expect(transform({ name: 'Ada' })).resolves.toBeInstanceOf(Body);
  });
});

describe('parseBoolean', () => {
  it.each([
    ['true', true],
    ['1', true],
    [' TRUE ', true],
    [true, true],
    ['false', false],
    ['0', false],
    [false, false],
  ])('parses %p as %p', (input, expected) => {
    expect(parseBoolean(input)).toBe(expected);
  });

  it.each(['yes', 'maybe', '', 2, null, undefined])('leaves %p as it is for the validator to refuse', (input) => {
    expect(parseBoolean(input)).toBe(input);
  });
});

describe('normalizeUuid', () => {
  it('answers the canonical lower-case dashed form of a dashed or 32-hex id', () => {
    expect(normalizeUuid('122B7448-DCE7-2057-574D-59F93D456E54')).toBe('122b7448-dce7-2057-574d-59f93d456e54');
    expect(normalizeUuid('122b7448dce72057574d59f93d456e54')).toBe('122b7448-dce7-2057-574d-59f93d456e54');
  });

  it.each(['', 'abc', '122b7448-dce7-2057-574d-59f93d456e5', '122b7448dce72057574d59f93d456e5z', 42])('refuses %p', (input) => {
    expect(normalizeUuid(input)).toBeUndefined();
  });
});

describe('parseDate', () => {
  it('parses ISO 8601 date-times and dates', () => {
    expect(parseDate('2023-11-01T12:00:00.000Z')?.toISOString()).toBe('2023-11-01T12:00:00.000Z');
    expect(parseDate('2023-11-01T13:00:00+01:00')?.toISOString()).toBe('2023-11-01T12:00:00.000Z');
    expect(parseDate('2023-11-01')?.toISOString()).toBe('2023-11-01T00:00:00.000Z');
  });

  it.each(['tomorrow', '2023-13-45T00:00:00Z', '1700000000', '', 1700000000])('refuses %p', (input) => {
    expect(parseDate(input)).toBeUndefined();
  });

  it("reads 4HSE's YYYY-MM-DD HH:MM:SS as UTC, whatever the server's time zone", () => {
    expect(parseDate('2026-12-02 03:29:45')?.toISOString()).toBe('2026-12-02T03:29:45.000Z');
    expect(parseDate('2024-02-29 23:59:59')?.toISOString()).toBe('2024-02-29T23:59:59.000Z');
    expect(parseDate('9999-12-31 23:59:59')?.toISOString()).toBe('9999-12-31T23:59:59.000Z');
  });

  it.each([
    ['an impossible calendar date', '2026-02-30 00:00:00'],
    ['February 29 of a common year', '2025-02-29 12:00:00'],
    ['hour 24', '2026-12-02 24:00:00'],
    ['minute 60', '2026-12-02 03:60:00'],
    ['a leap second', '2026-12-31 23:59:60'],
    ['no seconds', '2026-12-02 03:29'],
    ['fractions without an offset', '2026-12-02 03:29:45.123'],
    ['T without an offset (local time)', '2026-12-02T03:29:45'],
    ['two spaces', '2026-12-02  03:29:45'],
    ['a trailing space', '2026-12-02 03:29:45 '],
    ['a one-digit hour', '2026-12-02 3:29:45'],
  ])('refuses %s: %p', (_label, input) => {
    expect(parseDate(input)).toBeUndefined();
  });
});
