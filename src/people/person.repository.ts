import { Injectable } from '@nestjs/common';
import type { EntityDictionary } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import { likeContains, type SortTerm } from '../common/pagination/sort.js';
import { sql, type RawBuilder } from 'kysely';
import { countedPage, keysetAfter, whereSql, type Sql } from '../common/query/sql-list.js';
import { preparedRows, rows } from '../database/sql.js';
import { writerSettingsSql } from '../database/write-context.js';
import type { PersonSortField } from './dto/person.dto.js';
import { PersonSchema, type Person } from './person.entity.js';
import type { PersonDto, PersonInLineDto } from './dto/person.dto.js';
import type { RelatedEntity } from '../common/errors/problem.js';
import { isoSql } from '../org-chart/tree.sql.js';
import { inactivePeopleSql, openAtSql } from '../org-chart/history.sql.js';

/** Sort fields whose column may be null (the keyset of a cursor places nulls as ORDER BY does). */
const NULLABLE_SORT_FIELDS: ReadonlySet<PersonSortField> = new Set<PersonSortField>(['displayName', 'validFrom', 'validTo']);

/** Column of each filter and sort field (an allow-list: the only names interpolated into the SQL). */
const COLUMNS: Record<PersonSortField | 'externalId' | 'organization' | 'business' | 'department' | 'group' | 'team', string> = {
  email: 'email',
  firstName: 'first_name',
  lastName: 'last_name',
  displayName: 'display_name',
  externalId: 'external_id',
  organization: 'organization',
  business: 'business',
  department: 'department',
  group: 'group_name',
  team: 'team',
  validFrom: 'valid_from',
  validTo: 'valid_to',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

export interface PersonFilter {
  email?: string;
  externalId?: string;
  organization?: string;
  business?: string;
  department?: string;
  group?: string;
  team?: string;
  q?: string;
  /** Include people who are not active at `at`. */
  history: boolean;
  at: Date;
}

/**
 * The response row of a person (PersonDto, the Opsera dialect) from the person row `alias`, built by
 * PostgreSQL: read paths hand it on as is, with no entity hydration or mapping in Node (issue 10; the
 * same fields as mapPerson). `active` is computed at `at`.
 */
export function viewColumns(alias: string, at: Date): Sql {
  const c = (column: string) => sql.raw(`${alias}.${column}`);
  const iso = (column: string) => sql.raw(isoSql(`${alias}.${column}`));
  return sql`${c('id')}, ${c('email')}, ${c('first_name')} as "firstName", ${c('last_name')} as "lastName",
    ${c('display_name')} as "displayName", ${c('external_id')} as "externalId", ${c('organization')}, ${c('business')},
    ${c('department')}, ${c('group_name')} as "group", ${c('team')},
    ${c('manager_id')} as "managerId", (select m.email from person m where m.id = ${c('manager_id')}) as "managerEmail", ${iso('valid_from')} as "validFrom", ${iso('valid_to')} as "validTo",
    ((${c('valid_from')} is null or ${c('valid_from')} <= ${at}::timestamptz) and (${c('valid_to')} is null or ${c('valid_to')} > ${at}::timestamptz)) as active,
    ${iso('created_at')} as "createdAt", ${iso('updated_at')} as "updatedAt"`;
}

/** The person row `alias` is active at `at` (its own validity period; contract section 2). */
function activeAt(alias: string, at: Date): Sql {
  const c = (column: string) => sql.raw(`${alias}.${column}`);
  return sql`(${c('valid_from')} is null or ${c('valid_from')} <= ${at}) and (${c('valid_to')} is null or ${c('valid_to')} > ${at})`;
}

/**
 * The exact number of people, active at `at` when given, without reading them: the row count kept by
 * the person_count triggers (Migration20261201121000) minus the people not yet valid and those no
 * longer valid at `at`, each an index-only range of a partial index (a few percent of the table). The
 * two sets are disjoint (valid_to > valid_from), and together they are exactly the rows activeAt drops.
 */
function unfilteredTotal(at: Date | undefined, table: 'person' | 'only person' = 'person'): Sql {
  const rowCount = sql`(select coalesce(sum(n), 0) from person_count)`;
  if (at === undefined) return rowCount;
  const from = sql.raw(table);
  return sql`${rowCount} - (select count(*) from ${from} where valid_from > ${at}) - (select count(*) from ${from} where valid_to <= ${at})`;
}

/**
 * The exact number of people recorded at `asOf` (active at `at` when given), without reading them all:
 * the same count of now ({@link unfilteredTotal}), minus the live rows that started after `asOf`, plus
 * the past versions open at `asOf`. For a recent instant each term is a short index range (migration
 * Migration20261201130000_person_sys_since, which explains the two sets of live rows: inserted after
 * the instant, or existing then and updated since). Each table is named `only person` or
 * `person_history`, which the as-of rewrite of the statement leaves as they are (recordedAt): this
 * part computes from the rows of now and the history itself.
 */
function asOfTotal(at: Date | undefined, asOf: Date): Sql {
  const active = (alias: string) => (at === undefined ? sql`true` : activeAt(alias, at));
  return sql`${unfilteredTotal(at, 'only person')}
    - (select count(*) from only person p where p.sys_since > ${asOf} and p.sys_from > ${asOf} and ${active('p')})
    - (select count(*) from person_history h join only person p on p.id = h.id
        where ${openAtSql('h', asOf)} and p.sys_since <= ${asOf} and ${active('p')})
    + (select count(*) from person_history h where ${openAtSql('h', asOf)} and ${active('h')})`;
}

/**
 * The rows of `branch` over the people as recorded at `asOf`, read from the live rows and the past
 * versions as two statements joined by `union all`: `branch(table)` selects from `table` aliased `p`,
 * with the filters, `p.sys_from <= asOf`, the order and the limit of the page's end. The as-of rewrite
 * would read both through one ordered append, and a page in id order then walked the whole index of the
 * past versions on id for the few open at `asOf` (the planner costs each input of an append for the
 * fraction of the page it expects from it: 17 ms of 100,000 past versions, for none). Apart, the past
 * versions are the short index range of those open at `asOf`, sorted.
 */
function versionsAt(asOf: Date, branch: (table: Sql) => Sql): Sql {
  return sql`${branch(sql`only person`)} union all ${branch(sql`(select * from person_history h where ${openAtSql('h', asOf)})`)}`;
}

/**
 * The ids of one page of people as recorded at `asOf` (`where` on the alias `p`, in the order of
 * `sort`): the live rows that were the version of then and the past versions open then, each walked in
 * that order up to the page's end apart, then merged and cut. A live row is the version of then when
 * it had started its unbroken run of versions by then and none of its past versions is open then
 * (Migration20261201130000_person_sys_since shows this is `sys_from <= asOf`): the walk reads only the
 * index (Migration20261201132000), the same index-only range as the page of now (1.1 s -> 30 ms at
 * offset 90,000, docs/performance.md). The past versions open then are read once (a short range for a
 * recent instant), materialized: left to the planner, a prepared statement (its generic plan) walked
 * the whole index of the past versions on id instead, for the few open then, and so did one ordered
 * append of the two tables.
 */
function asOfPageIds(asOf: Date, where: Sql[], sort: SortTerm<PersonSortField>[], page: PageRequest): Sql {
  const order = sql.raw(orderOf(sort));
  const keys = sql.raw([...new Set(['id', ...sort.map((t) => COLUMNS[t.field])])].map((column) => `p.${column}`).join(', '));
  const end = offsetOf(page) + page.perPage;
  // `is not false` (sys_since is never null: the same rows) keeps that test a filter of the walk: as a
  // plain range it let a generic plan read every person through person_sys_since_idx and sort them.
  const live = [...where, sql`(p.sys_since <= ${asOf}) is not false`, sql`not exists (select from open_then o where o.id = p.id)`];
  return sql`with open_then as materialized (select h.* from person_history h where ${openAtSql('h', asOf)})
    select k.id from (
      (select ${keys} from only person p ${whereSql(live)} order by ${order} limit ${end})
      union all
      (select ${keys} from open_then p ${whereSql(where)} order by ${order} limit ${end})
    ) k order by ${order} limit ${page.perPage} offset ${offsetOf(page)}`;
}

/** ORDER BY of a people list: the allow-listed sort terms, then the id. */
function orderOf(sort: SortTerm<PersonSortField>[]): string {
  return [...sort.map((t) => `${COLUMNS[t.field]} ${t.direction === 'asc' ? 'asc nulls last' : 'desc nulls first'}`), 'id asc'].join(', ');
}

/** Reports of a manager up to which the inactive ones are found by joining them all to their people (see reports). */
const SMALL_RANGE = 5000;

/** How deep the walk up a manager chain goes at most (loops are refused on write; this only bounds the answer). */
export const MAX_MANAGER_CHAIN = 1000;

@Injectable()
export class PersonRepository {
  constructor(private readonly em: EntityManager) {}

  /** Case-insensitive lookup through the unique index on lower(email). */
  async findByEmail(email: string): Promise<Person | null> {
    const [row] = await rows(this.em, sql<EntityDictionary<Person>>`select * from person where lower(email) = ${email.toLowerCase()}`);
    // Mapped into the unit of work: a later flush writes the caller's changes to it.
    return row ? this.em.map(PersonSchema, row) : null;
  }

  /**
   * The response row of the person with this email (case-insensitive, through the unique index on
   * lower(email)), active at `at`; as recorded at `asOf` when given (contract section 10.2).
   */
  async viewByEmail(email: string, at: Date, asOf?: Date): Promise<(PersonDto & { entity_version: string }) | undefined> {
    const [row] = await preparedRows(
      this.em,
      sql<PersonDto & { entity_version: string }>`select ${viewColumns('p', at)}, p.version::text as entity_version
        from person p where lower(p.email) = ${email.toLowerCase()}`,
      asOf,
    );
    return row;
  }

  /**
   * One page of response rows and the exact total in one statement (see countedPage): a list holds one
   * pooled connection. `active` is computed at `filter.at`. With `after` (a cursor's row id), the page
   * is the rows after that row in this order (a keyset: the same cost at any depth) instead of after
   * an offset; the count is the same exact count. When that row is gone, the offset is used. With
   * `asOf`, the people as recorded then (contract section 10.2): filters and sorts on those values.
   */
  async list(
    filter: PersonFilter,
    sort: SortTerm<PersonSortField>[],
    page: PageRequest,
    after?: string,
    asOf?: Date,
  ): Promise<{ items: PersonDto[]; total: number }> {
    const where: Sql[] = [];
    if (filter.email !== undefined) where.push(sql`lower(p.email) = lower(${filter.email})`);
    for (const key of ['externalId', 'organization', 'business', 'department', 'group', 'team'] as const) {
      if (filter[key] !== undefined) where.push(sql`${sql.raw(`p.${COLUMNS[key]}`)} = ${filter[key]}`);
    }
    if (filter.q !== undefined && filter.q !== '') {
      // Each ilike can use its column's trigram index (migration Migration20261201020000).
      const like = likeContains(filter.q);
      where.push(sql`(p.first_name ilike ${like} or p.last_name ilike ${like} or p.display_name ilike ${like} or p.email ilike ${like})`);
    }
    const narrowed = where.length > 0;
    if (!filter.history) where.push(activeAt('p', filter.at));
    const order = orderOf(sort);
    const statement = {
      withClause: sql``,
      from: sql`person p ${whereSql(where)}`,
      order,
      id: 'id',
      select: viewColumns('page', filter.at),
      total: narrowed
        ? undefined
        : asOf !== undefined
          ? asOfTotal(filter.history ? undefined : filter.at, asOf)
          : unfilteredTotal(filter.history ? undefined : filter.at),
    };
    const run = (stmt: RawBuilder<object>) => preparedRows(this.em, stmt, asOf);
    if (after !== undefined) {
      const keyset = keysetAfter(
        sort.map((t) => ({ column: COLUMNS[t.field], direction: t.direction, nullable: NULLABLE_SORT_FIELDS.has(t.field) })),
        'p',
        'r',
        'id',
      );
      const pageFrom = sql`(select p.* from person p, person r where r.id = ${after} and ${sql.raw(keyset)}
        ${where.length ? sql`and ${sql.join(where, sql` and `)}` : sql``}) p`;
      const keyed = await countedPage<PersonDto>(run, { ...statement, pageFrom }, { limit: page.perPage, offset: 0 });
      if (keyed.items.length > 0 || keyed.total <= offsetOf(page)) return keyed;
    }
    if (asOf !== undefined) {
      // The same walk as of the instant, over the live rows and the past versions apart (asOfPageIds),
      // then the page's versions read by id.
      const pageFrom = sql`(select p.* from (${asOfPageIds(asOf, where, sort, page)}) k join person p on p.id = k.id) p`;
      return countedPage<PersonDto>(run, { ...statement, pageFrom }, { limit: page.perPage, offset: 0 });
    }
    // The offset is walked over the ids alone, then only the page's rows are read by primary key: with
    // the default order (id) the walk is an index-only scan of person_id_validity_idx (no heap row read
    // for the rows skipped), 1.1 s -> 30 ms at offset 90,000 (docs/performance.md). Same rows, same order.
    const pageFrom = sql`(select p.* from (select p.id from person p ${whereSql(where)} order by ${sql.raw(order)}
      limit ${page.perPage} offset ${offsetOf(page)}) k join person p on p.id = k.id) p`;
    return countedPage<PersonDto>(run, { ...statement, pageFrom }, { limit: page.perPage, offset: 0 });
  }

  /**
   * Inserts one new person with one statement (no unit of work, no transaction of its own) and answers
   * the version the database gave it (the ETag's, contract section 10.4). The statement is its own
   * transaction, which MikroORM's transaction hook never sees: it hands the writer to the change-log
   * triggers itself, first thing in the same statement (writerSettingsSql).
   */
  async insert(person: Omit<Person, 'version'>): Promise<string> {
    const [row] = await rows(
      this.em,
      sql<{ version: string }>`with writer as materialized (${writerSettingsSql()})
        insert into person (id, email, first_name, last_name, display_name, external_id, organization,
          business, department, group_name, team, manager_id, valid_from, valid_to, created_at, updated_at)
        select ${person.id}::uuid, ${person.email}::text, ${person.firstName}::text, ${person.lastName}::text,
          ${person.displayName ?? null}::text, ${person.externalId ?? null}::text, ${person.organization ?? null}::text,
          ${person.business ?? null}::text, ${person.department ?? null}::text, ${person.group ?? null}::text, ${person.team ?? null}::text,
          ${person.managerId ?? null}::uuid,
          ${person.validFrom ?? null}::timestamptz, ${person.validTo ?? null}::timestamptz,
          ${person.createdAt}::timestamptz, ${person.updatedAt}::timestamptz
        from writer
        returning version::text as version`,
    );
    return row.version;
  }

  /** The email of the person with this id. */
  async emailOf(id: string): Promise<string | undefined> {
    const [row] = await rows(this.em, sql<{ email: string }>`select email from person where id = ${id}`);
    return row?.email;
  }

  /** Locks the person FOR UPDATE (inside the caller's transaction); false when it does not exist. */
  async lock(id: string): Promise<boolean> {
    return (await rows(this.em, sql`select id from person where id = ${id} for update`)).length > 0;
  }

  /**
   * Serializes changes of reporting lines (contract section 11): the same transaction-scoped advisory
   * lock the cycle trigger takes (migration Migration20261201080000), taken before the person's row
   * lock, so a check that follows sees every change committed before it and two opposite changes
   * cannot both pass (nor deadlock on each other's row locks).
   */
  async lockReportingLines(): Promise<void> {
    await rows(this.em, sql`select pg_advisory_xact_lock(4242003)`);
  }

  /** True when `personId` is `managerId` itself or one of its managers, up the chain: making `managerId` its manager would loop. */
  async isInChainOf(personId: string, managerId: string): Promise<boolean> {
    const [row] = await rows(
      this.em,
      sql<{ loops: boolean }>`with recursive chain(id, manager_id) as (
          select id, manager_id from person where id = ${managerId}
          union
          select p.id, p.manager_id from person p join chain c on p.id = c.manager_id
        )
        select exists (select from chain where id = ${personId}) as loops`,
    );
    return row?.loops ?? false;
  }

  /**
   * One page of the reports of `managerId` down to `maxDepth` levels (every level when undefined),
   * each with its depth, sorted and paged as the people list, with the exact total, over the closure
   * table reporting_line (migration Migration20261201080000; docs/decisions.md, "Reporting lines"): the
   * reports are one index range of (manager, depth). Two statements: the size of that range first
   * (index-only), then the page in the shape that suits it (docs/performance.md, "As-of reads within 2x"):
   * - a small range (at most SMALL_RANGE, a team or a division) is read once into a materialized CTE
   *   and joined to its people by id, for the count and the page alike; a prepared statement (its plan
   *   does not depend on the range's estimate, which the planner cannot know for one manager: 1,722
   *   rows estimated for 10, and a walk over every person in id order);
   * - a large range (the top of a 100,000-person tree) keeps the walk: the page follows the sort's
   *   index and probes the range per person, and without `history` the total is one index-only pass
   *   over the range anti-joined to the inactive people (inactivePeopleSql: the partial indexes on
   *   valid_to and valid_from, and as of an instant the history's corrections), rather than a join of
   *   every report to its person. Unprepared: its plan depends on the range.
   * Without `history`, people not active at `at` are left out (their own reports are not). With
   * `asOf`, the same statements as recorded then (`reporting_line_as_of` and `person_as_of`, migration
   * Migration20261201113000_reporting_line_history: the closure table keeps its past). The range can
   * change between the two statements: that only changes the shape, each answer is exact on its own.
   */
  async reports(
    managerId: string,
    options: { maxDepth?: number; history: boolean; at: Date; asOf?: Date },
    sort: SortTerm<PersonSortField>[],
    page: PageRequest,
  ): Promise<{ items: PersonInLineDto[]; total: number }> {
    const depth = (alias: string) =>
      options.maxDepth === undefined
        ? sql`${sql.raw(alias)}.ancestor_id = ${managerId} and ${sql.raw(alias)}.depth >= 1`
        : sql`${sql.raw(alias)}.ancestor_id = ${managerId} and ${sql.raw(alias)}.depth between 1 and ${options.maxDepth}`;
    const active = options.history ? sql`` : sql`where ${activeAt('p', options.at)}`;
    const select = sql`${viewColumns('page', options.at)}, page.depth`;
    const [range] = await preparedRows(
      this.em,
      sql<{ n: number }>`select count(*)::int as n from reporting_line l where ${depth('l')}`,
      options.asOf,
    );
    if (range.n <= SMALL_RANGE) {
      return countedPage<PersonInLineDto>(
        (stmt) => preparedRows(this.em, stmt, options.asOf),
        {
          withClause: sql`with range as materialized (select r.person_id, r.depth from reporting_line r where ${depth('r')})`,
          from: sql`(select p.*, r.depth from range r join person p on p.id = r.person_id ${active}) p`,
          order: orderOf(sort),
          id: 'id',
          select,
        },
        { limit: page.perPage, offset: offsetOf(page) },
      );
    }
    const inRange = sql`(select count(*) from reporting_line l where ${depth('l')})`;
    const inactive = inactivePeopleSql(sql`${options.at}`, options.asOf);
    // Without history: one index-only pass over the range, anti-joined to the inactive people (3,030 of
    // 100,000, hashed), rather than a join of every report to its person. An anti-join rather than
    // `not in`: with many inactive people (years of leavers), a `not in` list too big to hash is
    // searched once per report.
    const total = options.history
      ? inRange
      : sql`(select count(*) from reporting_line l where ${depth('l')} and not exists (select from (${inactive}) i where i.id = l.person_id))`;
    const where = (alias: string) => sql`${depth('r')} ${options.history ? sql`` : sql`and ${activeAt(alias, options.at)}`}`;
    const order = orderOf(sort);
    const limit = offsetOf(page) + page.perPage;
    return countedPage<PersonInLineDto>(
      (stmt) => rows(this.em, stmt, options.asOf),
      {
        withClause: sql``,
        from: sql`(select p.*, r.depth from reporting_line r join person p on p.id = r.person_id where ${where('p')}) p`,
        // As of an instant, the page is read from the live rows and the past versions separately, each
        // in the sort's order up to the page's end (see versionsAt).
        pageFrom:
          options.asOf === undefined
            ? undefined
            : sql`(${versionsAt(
                options.asOf,
                (table) => sql`(select p.*, r.depth from reporting_line r join ${table} p on p.id = r.person_id
                where ${where('p')} and p.sys_from <= ${options.asOf} order by ${sql.raw(order)} limit ${limit})`,
              )}) p`,
        total,
        order,
        id: 'id',
        select,
      },
      { limit: page.perPage, offset: offsetOf(page) },
    );
  }

  /**
   * The managers of `id`, from the direct one (depth 1) up to the top, each with `active` at `at`; as
   * recorded at `asOf` when given (contract section 10.2: the chain, emails and values then).
   */
  async managers(id: string, at: Date, asOf?: Date): Promise<PersonInLineDto[]> {
    return rows(
      this.em,
      sql<PersonInLineDto>`with recursive chain(id, depth) as (
          select manager_id, 1 from person where id = ${id} and manager_id is not null
          union all
          select p.manager_id, c.depth + 1 from chain c join person p on p.id = c.id
           where p.manager_id is not null and c.depth < ${MAX_MANAGER_CHAIN}
        )
        select ${viewColumns('p', at)}, c.depth from chain c join person p on p.id = c.id order by c.depth`,
      asOf,
    );
  }

  /** The direct reports of a person as related entities of its delete (contract section 5): the count and the first `limit`. */
  async directReports(id: string, limit: number): Promise<{ type: string; count: number; items: RelatedEntity[] }> {
    const found = await rows(
      this.em,
      sql<
        RelatedEntity & { total: number }
      >`select 'person' as type, p.id::text as id, p.first_name || ' ' || p.last_name || ' <' || p.email || '>' as label,
          count(*) over ()::int as total
        from person p where p.manager_id = ${id} order by p.last_name, p.first_name, p.id limit ${limit}`,
    );
    return { type: 'person', count: found[0]?.total ?? 0, items: found.map(({ total: _total, ...item }) => item) };
  }

  /** A forced delete of a manager: their direct reports keep existing, without a manager (one change event each). */
  async clearManager(id: string): Promise<void> {
    await rows(this.em, sql`update person set manager_id = null, updated_at = now() where manager_id = ${id}`);
  }

  async delete(id: string): Promise<void> {
    await rows(this.em, sql`delete from person where id = ${id}`);
  }
}
