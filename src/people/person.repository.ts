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
import type { PersonDto } from './dto/person.dto.js';
import { isoSql } from '../org-chart/tree.sql.js';

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
    ${c('department')}, ${c('group_name')} as "group", ${c('team')}, ${iso('valid_from')} as "validFrom", ${iso('valid_to')} as "validTo",
    ((${c('valid_from')} is null or ${c('valid_from')} <= ${at}::timestamptz) and (${c('valid_to')} is null or ${c('valid_to')} > ${at}::timestamptz)) as active,
    ${iso('created_at')} as "createdAt", ${iso('updated_at')} as "updatedAt"`;
}

@Injectable()
export class PersonRepository {
  constructor(private readonly em: EntityManager) {}

  /** Case-insensitive lookup through the unique index on lower(email). */
  async findByEmail(email: string): Promise<Person | null> {
    const [row] = await rows(this.em, sql<EntityDictionary<Person>>`select * from person where lower(email) = ${email.toLowerCase()}`);
    // Mapped into the unit of work: a later flush writes the caller's changes to it.
    return row ? this.em.map(PersonSchema, row) : null;
  }

  /** The response row of the person with this email (case-insensitive, through the unique index on lower(email)), active at `at`. */
  async viewByEmail(email: string, at: Date): Promise<(PersonDto & { entity_version: string }) | undefined> {
    const [row] = await preparedRows(
      this.em,
      sql<PersonDto & { entity_version: string }>`select ${viewColumns('p', at)}, p.version::text as entity_version
        from person p where lower(p.email) = ${email.toLowerCase()}`,
    );
    return row;
  }

  /**
   * One page of response rows and the exact total in one statement (see countedPage): a list holds one
   * pooled connection. `active` is computed at `filter.at`. With `after` (a cursor's row id), the page
   * is the rows after that row in this order (a keyset: the same cost at any depth) instead of after
   * an offset; the count is the same exact count. When that row is gone, the offset is used.
   */
  async list(
    filter: PersonFilter,
    sort: SortTerm<PersonSortField>[],
    page: PageRequest,
    after?: string,
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
    if (!filter.history)
      where.push(sql`(p.valid_from is null or p.valid_from <= ${filter.at}) and (p.valid_to is null or p.valid_to > ${filter.at})`);
    const order = [
      ...sort.map((t) => `${COLUMNS[t.field]} ${t.direction === 'asc' ? 'asc nulls last' : 'desc nulls first'}`),
      'id asc',
    ].join(', ');
    const statement = {
      withClause: sql``,
      from: sql`person p ${whereSql(where)}`,
      order,
      id: 'id',
      select: viewColumns('page', filter.at),
    };
    const run = (stmt: RawBuilder<object>) => preparedRows(this.em, stmt);
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
    return countedPage<PersonDto>(run, statement, { limit: page.perPage, offset: offsetOf(page) });
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
          business, department, group_name, team, valid_from, valid_to, created_at, updated_at)
        select ${person.id}::uuid, ${person.email}::text, ${person.firstName}::text, ${person.lastName}::text,
          ${person.displayName ?? null}::text, ${person.externalId ?? null}::text, ${person.organization ?? null}::text,
          ${person.business ?? null}::text, ${person.department ?? null}::text, ${person.group ?? null}::text, ${person.team ?? null}::text,
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

  async delete(id: string): Promise<void> {
    await rows(this.em, sql`delete from person where id = ${id}`);
  }
}
