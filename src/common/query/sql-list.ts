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
 * from the page's row `page` (default `page.*`; the final ORDER BY may name the page's columns),
 * `pageFrom` the relation the page is read from when it differs from the counted one (a keyset page:
 * the rows after a reference row, see {@link keysetAfter}), `total` an expression of the same exact
 * total when it is cheaper than counting `from` (counts kept in an index, minus the few rows the
 * filter drops).
 */
export async function countedPage<T extends object>(
  run: (statement: RawBuilder<object>) => Promise<object[]>,
  statement: { withClause: Sql; from: Sql; order: string; id: string; select?: Sql; pageFrom?: Sql; total?: Sql },
  page: { limit: number; offset: number },
): Promise<CountedPage<T>> {
  const order = sql.raw(statement.order);
  const pageFrom = statement.pageFrom ?? statement.from;
  const rows = (await run(
    sql`${statement.withClause} select counted.total_rows, ${statement.select ?? sql`page.*`} from (select ${statement.total ? sql`(${statement.total})::int as total_rows` : sql`count(*)::int as total_rows from ${statement.from}`}) counted
       left join lateral (select * from ${pageFrom} order by ${order} limit ${page.limit} offset ${page.offset}) page on true
      order by ${order}`,
  )) as (Record<string, unknown> & { total_rows: number })[];
  const total = rows[0]?.total_rows ?? 0;
  const items = rows.filter((row) => row[statement.id] !== null).map(({ total_rows: _total, ...item }) => item as unknown as T);
  return { items, total };
}

/** One ORDER BY term of a keyset: an allow-listed column, its direction, whether it may be null. */
export interface KeysetTerm {
  column: string;
  direction: 'asc' | 'desc';
  nullable: boolean;
}

/**
 * SQL true for the rows of `row` that come strictly after the row `ref` in the order of `terms` then
 * `id` ascending, with the null placement of {@link compileOrder} (asc nulls last, desc nulls first):
 * a keyset page starts there instead of after an offset, so its cost does not grow with its depth.
 * When every term is ascending and not null, a row comparison (`(a, id) > (ref.a, ref.id)`), which an
 * index on those columns answers as a range; otherwise the expanded form. Names come from allow-lists.
 */
export function keysetAfter(terms: readonly KeysetTerm[], row: string, ref: string, id: string): string {
  if (terms.every((t) => t.direction === 'asc' && !t.nullable)) {
    const columns = [...terms.map((t) => t.column), id];
    return `(${columns.map((c) => `${row}.${c}`).join(', ')}) > (${columns.map((c) => `${ref}.${c}`).join(', ')})`;
  }
  let after = `${row}.${id} > ${ref}.${id}`;
  for (const term of [...terms].reverse()) {
    const [r, f] = [`${row}.${term.column}`, `${ref}.${term.column}`];
    const beyond =
      term.direction === 'asc'
        ? term.nullable
          ? `(${r} > ${f} or (${f} is not null and ${r} is null))`
          : `${r} > ${f}`
        : term.nullable
          ? `(${r} < ${f} or (${f} is null and ${r} is not null))`
          : `${r} < ${f}`;
    const same = term.nullable ? `${r} is not distinct from ${f}` : `${r} = ${f}`;
    after = `(${beyond} or (${same} and ${after}))`;
  }
  return after;
}
