import { Injectable } from '@nestjs/common';
import type { EntityDictionary } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import { likeContains, type SortTerm } from '../common/pagination/sort.js';
import { sql } from 'kysely';
import { countedPage, whereSql, type Sql } from '../common/query/sql-list.js';
import { rows } from '../database/sql.js';
import type { PersonSortField } from './dto/person.dto.js';
import { PersonSchema, type Person } from './person.entity.js';

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

@Injectable()
export class PersonRepository {
  constructor(private readonly em: EntityManager) {}

  /** Case-insensitive lookup through the unique index on lower(email). */
  async findByEmail(email: string): Promise<Person | null> {
    const [row] = await rows(this.em, sql<EntityDictionary<Person>>`select * from person where lower(email) = ${email.toLowerCase()}`);
    // Mapped into the unit of work: a later flush writes the caller's changes to it.
    return row ? this.em.map(PersonSchema, row) : null;
  }

  /** One page and the exact total in one statement (see countedPage): a list holds one pooled connection. */
  async list(filter: PersonFilter, sort: SortTerm<PersonSortField>[], page: PageRequest): Promise<{ items: Person[]; total: number }> {
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
    const { items, total } = await countedPage<EntityDictionary<Person>>(
      (statement) => rows(this.em, statement),
      { withClause: sql``, from: sql`person p ${whereSql(where)}`, order, id: 'id' },
      { limit: page.perPage, offset: offsetOf(page) },
    );
    return { items: items.map((row) => this.em.map(PersonSchema, row)), total };
  }

  /** Locks the person FOR UPDATE (inside the caller's transaction); false when it does not exist. */
  async lock(id: string): Promise<boolean> {
    return (await rows(this.em, sql`select id from person where id = ${id} for update`)).length > 0;
  }

  async delete(id: string): Promise<void> {
    await rows(this.em, sql`delete from person where id = ${id}`);
  }
}
