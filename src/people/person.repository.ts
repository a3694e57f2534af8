import { Injectable } from '@nestjs/common';
import type { EntityDictionary } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import { likeContains, type SortTerm } from '../common/pagination/sort.js';
import { countedPage, whereSql, type CompiledWhere } from '../common/query/sql-list.js';
import { sql } from '../database/transaction.js';
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
  findByEmail(email: string): Promise<Person | null> {
    return this.em.createQueryBuilder(PersonSchema, 'p').select('*').where('lower(p.email) = ?', [email.toLowerCase()]).getSingleResult();
  }

  /** One page and the exact total in one statement (see countedPage): a list holds one pooled connection. */
  async list(filter: PersonFilter, sort: SortTerm<PersonSortField>[], page: PageRequest): Promise<{ items: Person[]; total: number }> {
    const where: CompiledWhere = { clauses: [], params: [] };
    const and = (clause: string, ...params: unknown[]) => {
      where.clauses.push(clause);
      where.params.push(...params);
    };
    if (filter.email !== undefined) and('lower(p.email) = lower(?)', filter.email);
    for (const key of ['externalId', 'organization', 'business', 'department', 'group', 'team'] as const) {
      if (filter[key] !== undefined) and(`p.${COLUMNS[key]} = ?`, filter[key]);
    }
    if (filter.q !== undefined && filter.q !== '') {
      // Each ilike can use its column's trigram index (migration Migration20261201020000).
      const like = likeContains(filter.q);
      and('(p.first_name ilike ? or p.last_name ilike ? or p.display_name ilike ? or p.email ilike ?)', like, like, like, like);
    }
    if (!filter.history)
      and('(p.valid_from is null or p.valid_from <= ?) and (p.valid_to is null or p.valid_to > ?)', filter.at, filter.at);
    const order = [
      ...sort.map((t) => `${COLUMNS[t.field]} ${t.direction === 'asc' ? 'asc nulls last' : 'desc nulls first'}`),
      'id asc',
    ].join(', ');
    const { items, total } = await countedPage<EntityDictionary<Person>>(
      (query, params) => sql(this.em, query, params),
      { withClause: '', from: `person p ${whereSql(where)}`, order, id: 'id' },
      { withClause: [], from: where.params },
      { limit: page.perPage, offset: offsetOf(page) },
    );
    return { items: items.map((row) => this.em.map(PersonSchema, row)), total };
  }
}
