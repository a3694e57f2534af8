import { sql, type RawBuilder } from 'kysely';
import { likeContains, type SortTerm } from '../pagination/sort.js';

/** A piece of SQL built with Kysely's `sql` tag: its values are bind parameters. */
export type Sql = RawBuilder<unknown>;

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

export function compileFilters<F extends string>(filter: Partial<Record<F, unknown>> | undefined, rules: Record<F, FilterRule>): Sql[] {
  const clauses: Sql[] = [];
  for (const key of Object.keys(rules) as F[]) {
    const value = filter?.[key];
    if (value === undefined) continue;
    const rule = rules[key];
    const column = sql.raw(rule.sql);
    switch (rule.kind) {
      case 'eq':
        clauses.push(sql`${column} = ${value}`);
        break;
      case 'eq-ci':
        clauses.push(sql`lower(${column}) = lower(${value})`);
        break;
      case 'eq-nullable':
        clauses.push(value === null ? sql`${column} is null` : sql`${column} = ${value}`);
        break;
      case 'contains':
        clauses.push(sql`${column} like ${likeContains(String(value))}`);
        break;
      case 'contains-ci':
        clauses.push(sql`${column} ilike ${likeContains(String(value))}`);
        break;
      case 'bool':
        clauses.push(sql`(${column}) = ${value}`);
        break;
    }
  }
  return clauses;
}

/** ORDER BY from allow-listed sort terms, always ending with the id so paging is stable. */
export function compileOrder<S extends string>(terms: SortTerm<S>[], sorts: Record<S, string>, id: string): string {
  const parts = terms.map((t) => `${sorts[t.field]} ${t.direction === 'asc' ? 'asc nulls last' : 'desc nulls first'}`);
  return [...parts, `${id} asc`].join(', ');
}

export function whereSql(clauses: Sql[]): Sql {
  return clauses.length ? sql`where ${sql.join(clauses, sql` and `)}` : sql``;
}

/** The page's rows and the exact number of rows matching the filter. */
export interface CountedPage<T> {
  items: T[];
  total: number;
}

/**
 * One page and the exact total count in one statement, so a list holds one pooled connection, never
 * two at once: the count and the page are two subqueries over the same filtered relation, each with
 * its own best plan (the page can stop early on an index, the count reads what it must), joined so
 * that a page past the end still carries the count in a row of nulls. (`count(*) over ()` beside the
 * page would also be one statement, but it makes the page read every matching row: ten times slower
 * on the first page of 100,000 people.) A CTE used in `from` must be `not materialized`, or
 * PostgreSQL would materialize it once for both uses.
 * `from` is the filtered relation (`rows where ...`, its parameters bound at each use), `id` the row
 * id column, `order` the ORDER BY (allow-listed names only), `select` the output columns computed
 * from the page's row `page` (default `page.*`; the final ORDER BY may name the page's columns).
 */
export async function countedPage<T extends object>(
  run: (statement: RawBuilder<object>) => Promise<object[]>,
  statement: { withClause: Sql; from: Sql; order: string; id: string; select?: Sql },
  page: { limit: number; offset: number },
): Promise<CountedPage<T>> {
  const order = sql.raw(statement.order);
  const rows = (await run(
    sql`${statement.withClause} select counted.total_rows, ${statement.select ?? sql`page.*`} from (select count(*)::int as total_rows from ${statement.from}) counted
       left join lateral (select * from ${statement.from} order by ${order} limit ${page.limit} offset ${page.offset}) page on true
      order by ${order}`,
  )) as (Record<string, unknown> & { total_rows: number })[];
  const total = rows[0]?.total_rows ?? 0;
  const items = rows.filter((row) => row[statement.id] !== null).map(({ total_rows: _total, ...item }) => item as unknown as T);
  return { items, total };
}
