import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import type { SortTerm } from '../common/pagination/sort.js';
import {
  compileFilters,
  compileOrder,
  countedPage,
  whereSql,
  type CountedPage,
  type FilterRule,
  type ListSpec,
  type Sql,
} from '../common/query/sql-list.js';
import { preparedRows } from '../database/sql.js';

/**
 * How a 4HSE resource is read: a statement head that defines `rows` (one response row per entity,
 * its history flags computed at the instant), the filters and sorts allowed on it, and its id column.
 * Each repository declares its own (the SQL text of `rows` stays there); {@link readModel} turns it
 * into the one list and the one view statement the three resources share.
 */
export interface ReadModelSpec<F extends string, S extends string, Filter extends object = object> extends Omit<ListSpec<F, S>, 'id'> {
  /**
   * `with [recursive] at_instant(...), ..., rows as not materialized (...)`, for the instant `at`;
   * `focus` says which rows the statement is after (the list's filter, or the one viewed id), so that
   * the head may compute the history flags of those rows only.
   */
  head(at: Date, focus: ReadFocus<Filter>): Sql;
  /**
   * The entity's table (an allow-list: the name is interpolated). The rows' id column is named after
   * it, as the 4HSE dialect names it (`org_unit_id`); the view answers the table's `version` beside the row.
   */
  table: 'org_unit' | 'org_role' | 'org_person';
}

/** What a read is after: a list's filter, or the id of the one row a view reads. */
export interface ReadFocus<Filter> {
  readonly filter?: Filter;
  readonly viewId?: string;
}

/** A viewed row and, read in the same statement, the entity's version behind its ETag (contract section 10.4). */
export type VersionedRow<Row> = Row & { entity_version: string };

/**
 * The arguments of a repository's `list`: the filter, the sort terms, the page, history (inactive rows
 * too), the instant validity is evaluated at, and `asOf` for a point-in-time read (contract section
 * 10.2: the rows as recorded then; absent: the rows of now).
 */
export type ListArgs<F, S extends string> = [
  filter: F | undefined,
  sort: SortTerm<S>[],
  page: PageRequest,
  history: boolean,
  at: Date,
  asOf?: Date,
];

/** The list and the view statements of one resource; each runs on the EntityManager it is given (the request's, or its transaction). */
export interface ReadModel<Row extends object, Filter extends object, S extends string> {
  /** One page and the exact total, in one statement (see `countedPage`); without `history`, only rows active with all their parents. */
  list(em: EntityManager, ...args: ListArgs<Filter, S>): Promise<CountedPage<Row>>;
  /** The row of one entity (active or not) with its version, undefined when there is none (as recorded at `asOf` when given). */
  view(em: EntityManager, id: string, at: Date, asOf?: Date): Promise<VersionedRow<Row> | undefined>;
}

/**
 * The read model of `spec`, whose rows are `Row` and whose filter DTO is `Filter` (every key of it
 * needs a rule). Curried, so that the sort names are inferred from the spec.
 */
export function readModel<Row extends object, Filter extends object>() {
  return <S extends string>(spec: ReadModelSpec<keyof Filter & string, S, Filter>): ReadModel<Row, Filter, S> => ({
    list(em, filter, sort, page, history, at, asOf) {
      const where = compileFilters(filter as Partial<Record<keyof Filter & string, unknown>> | undefined, spec.filters);
      if (!history) where.push(sql`owned_active and parent_active`);
      return countedPage<Row>(
        (statement) => preparedRows(em, statement, asOf),
        {
          withClause: spec.head(at, { filter }),
          from: sql`rows ${whereSql(where)}`,
          order: compileOrder(sort, spec.sorts, idOf(spec)),
          id: idOf(spec),
        },
        { limit: page.perPage, offset: offsetOf(page) },
      );
    },
    async view(em, id, at, asOf) {
      // One statement for the body and its tag, so both always describe the same state of the entity.
      const [row] = await preparedRows(
        em,
        sql<VersionedRow<Row>>`${spec.head(at, { viewId: id })} select rows.*, e.version::text as entity_version
          from rows join ${sql.raw(spec.table)} e on e.id = rows.${sql.raw(idOf(spec))} where rows.${sql.raw(idOf(spec))} = ${id}`,
        asOf,
      );
      return row;
    },
  });
}

/** The id column of a read model's rows: named after the table, as the 4HSE dialect names it (`org_unit_id`). */
function idOf(spec: { table: string }): string {
  return `${spec.table}_id`;
}

/** Filter rules for columns of the same name as their filter key, all of one kind. */
export function sameNameFilters<K extends string>(kind: FilterRule['kind'], keys: readonly K[]): Record<K, FilterRule> {
  return Object.fromEntries(keys.map((key): [K, FilterRule] => [key, { kind, sql: key }])) as Record<K, FilterRule>;
}

/** A sort allow-list whose names are the read model's column names. */
export function sameNameColumns<S extends string>(names: readonly S[]): Record<S, string> {
  return Object.fromEntries(names.map((name): [S, string] => [name, name])) as Record<S, string>;
}

/** Filters every 4HSE resource has (contract section 2): the history flags of its rows. */
export const HISTORY_FILTERS = sameNameFilters('bool', ['owned_active', 'parent_active']);

/** Filters of the coded, named entities (units and roles): exact code, name and description substrings. */
export const CODED_FILTERS = {
  code: { kind: 'eq', sql: 'code' },
  name: { kind: 'contains-ci', sql: 'name' },
  description: { kind: 'contains', sql: 'description' },
} as const satisfies Record<string, FilterRule>;
