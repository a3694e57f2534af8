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

/** The page's rows and the exact number of rows matching the filter. */
export interface CountedPage<T> {
  items: T[];
  total: number;
}

/**
 * One page and the total count in one statement (`count(*) over ()` beside the page), so a list
 * holds one pooled connection, never two at once. Only a page past the end, which carries no row
 * to read the count from, costs a second (exact) count afterwards, one statement after the other.
 * `withClause` is the statement's `with ...` part, `from` the filtered relation (`rows where ...`),
 * `params` the parameters of both before the page's limit and offset.
 */
export async function countedPage<T extends object>(
  run: (query: string, params: readonly unknown[]) => Promise<object[]>,
  statement: { withClause: string; from: string; order: string },
  params: readonly unknown[],
  page: { limit: number; offset: number },
): Promise<CountedPage<T>> {
  const rows = (await run(
    `${statement.withClause} select *, (count(*) over ())::int as total_rows from ${statement.from} order by ${statement.order} limit ? offset ?`,
    [...params, page.limit, page.offset],
  )) as (T & { total_rows: number })[];
  if (rows.length > 0) {
    const total = rows[0].total_rows;
    const items = rows.map(({ total_rows: _total, ...item }) => item as unknown as T);
    return { items, total };
  }
  if (page.offset === 0) return { items: [], total: 0 };
  const [counted] = (await run(`${statement.withClause} select count(*)::int as total from ${statement.from}`, params)) as {
    total: number;
  }[];
  return { items: [], total: counted?.total ?? 0 };
}
