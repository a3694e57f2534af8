import { likeContains, type SortTerm } from '../pagination/sort.js';

/**
 * How one filter key becomes SQL. Keys and column expressions come only from these allow-lists;
 * client values only ever travel as bound parameters.
 */
export type FilterRule =
  | { kind: 'eq'; sql: string }
  /** Exact match, case-insensitive (emails). */
  | { kind: 'eq-ci'; sql: string }
  /** Exact match; a JSON null matches SQL NULL (roots, assignments without role). */
  | { kind: 'eq-nullable'; sql: string }
  | { kind: 'contains'; sql: string }
  | { kind: 'contains-ci'; sql: string }
  | { kind: 'bool'; sql: string };

export interface ListSpec<F extends string, S extends string> {
  filters: Record<F, FilterRule>;
  sorts: Record<S, string>;
  /** The row id column: the final tiebreaker of every order. */
  id: string;
}

export interface CompiledWhere {
  clauses: string[];
  params: unknown[];
}

export function compileFilters<F extends string>(
  filter: Partial<Record<F, unknown>> | undefined,
  rules: Record<F, FilterRule>,
): CompiledWhere {
  const clauses: string[] = [];
  const params: unknown[] = [];
  for (const key of Object.keys(rules) as F[]) {
    const value = filter?.[key];
    if (value === undefined) continue;
    const rule = rules[key];
    switch (rule.kind) {
      case 'eq':
        clauses.push(`${rule.sql} = ?`);
        params.push(value);
        break;
      case 'eq-ci':
        clauses.push(`lower(${rule.sql}) = lower(?)`);
        params.push(value);
        break;
      case 'eq-nullable':
        if (value === null) clauses.push(`${rule.sql} is null`);
        else {
          clauses.push(`${rule.sql} = ?`);
          params.push(value);
        }
        break;
      case 'contains':
        clauses.push(`${rule.sql} like ?`);
        params.push(likeContains(String(value)));
        break;
      case 'contains-ci':
        clauses.push(`${rule.sql} ilike ?`);
        params.push(likeContains(String(value)));
        break;
      case 'bool':
        clauses.push(`(${rule.sql}) = ?`);
        params.push(value);
        break;
    }
  }
  return { clauses, params };
}

/** ORDER BY from allow-listed sort terms, always ending with the id so paging is stable. */
export function compileOrder<S extends string>(terms: SortTerm<S>[], sorts: Record<S, string>, id: string): string {
  const parts = terms.map((t) => `${sorts[t.field]} ${t.direction === 'asc' ? 'asc nulls last' : 'desc nulls first'}`);
  return [...parts, `${id} asc`].join(', ');
}

export function whereSql(where: CompiledWhere): string {
  return where.clauses.length ? `where ${where.clauses.join(' and ')}` : '';
}
