import { InvalidInputError } from '../errors/domain-errors.js';

export const MAX_JSON_DEPTH = 16;

/**
 * Walks a parsed body or query object once: NUL characters (PostgreSQL cannot store them), unpaired
 * surrogates and
 * nesting deeper than {@link MAX_JSON_DEPTH} are refused with a 400 naming the field, before any
 * DTO or database sees them.
 */
export function assertSafeInput(value: unknown, root: string): void {
  const visit = (node: unknown, path: string, depth: number): void => {
    if (depth > MAX_JSON_DEPTH) throw InvalidInputError.field(path || root, `is nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (typeof node === 'string') {
      if (node.includes('\u0000')) throw InvalidInputError.field(path || root, 'must not contain NUL characters');
      // An unpaired UTF-16 surrogate has no UTF-8 form: PostgreSQL would refuse it with an encoding error.
      if (!node.isWellFormed()) throw InvalidInputError.field(path || root, 'must be valid Unicode (no unpaired surrogates)');
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${path}[${i}]`, depth + 1));
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.includes('\u0000') || !key.isWellFormed())
        throw InvalidInputError.field(path || root, 'field names must be valid Unicode without NUL characters');
      visit(child, childPath, depth + 1);
    }
  };
  visit(value, '', 0);
}
