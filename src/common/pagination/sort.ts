import { InvalidInputError } from '../errors/domain-errors.js';

export interface SortTerm<F extends string = string> {
  readonly field: F;
  readonly direction: 'asc' | 'desc';
}

export const MAX_SORT_TERMS = 10;

/**
 * Parses `name,-code` against an allow-list of field names. Unknown fields are a 400 naming them; the
 * caller appends the id as the final tiebreaker so every order is total and paging is stable.
 */
export function parseSort<F extends string>(value: string | null | undefined, allowed: readonly F[], field = 'sort'): SortTerm<F>[] {
  if (value === undefined || value === null || value.trim() === '') return [];
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length > MAX_SORT_TERMS) throw InvalidInputError.field(field, `accepts at most ${MAX_SORT_TERMS} fields`);
  const seen = new Set<string>();
  return parts.map((part) => {
    const descending = part.startsWith('-');
    const name = descending ? part.slice(1) : part.startsWith('+') ? part.slice(1) : part;
    if (!(allowed as readonly string[]).includes(name)) {
      throw InvalidInputError.field(field, `unknown sort field "${name.slice(0, 100)}"; allowed: ${allowed.join(', ')}`);
    }
    if (seen.has(name)) throw InvalidInputError.field(field, `sort field "${name}" is given twice`);
    seen.add(name);
    return { field: name as F, direction: descending ? 'desc' : 'asc' };
  });
}

/** Escapes LIKE wildcards so a user's substring is matched literally. */
export function likeContains(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
