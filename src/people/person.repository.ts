import { Injectable } from '@nestjs/common';
import { QueryOrder, raw, type EntityDictionary } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, type PageRequest } from '../common/pagination/page.js';
import { likeContains, type SortTerm } from '../common/pagination/sort.js';
import type { PersonSortField } from './dto/person.dto.js';
import { PersonSchema, type Person } from './person.entity.js';

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

  /**
   * One page and the exact total in one statement (`count(*) over ()`), so a list holds one pooled
   * connection; only a page past the end costs a second count (see countedPage in common/query).
   */
  async list(filter: PersonFilter, sort: SortTerm<PersonSortField>[], page: PageRequest): Promise<{ items: Person[]; total: number }> {
    // Sort fields are allow-listed entity property names (PERSON_SORT_FIELDS); the id breaks ties.
    const order = sort.map((t) => ({ [t.field]: t.direction === 'asc' ? QueryOrder.ASC_NULLS_LAST : QueryOrder.DESC_NULLS_FIRST }));
    const qb = this.filtered(filter)
      .select(['*', raw('(count(*) over ())::int as total_rows')])
      .orderBy([...order, { id: QueryOrder.ASC }])
      .limit(page.perPage)
      .offset(offsetOf(page));
    const rows = await qb.execute<(EntityDictionary<Person> & { total_rows: number })[]>('all', false);
    if (rows.length > 0) {
      const total = rows[0].total_rows;
      return { items: rows.map(({ total_rows: _total, ...row }) => this.em.map(PersonSchema, row)), total };
    }
    return { items: [], total: offsetOf(page) === 0 ? 0 : await this.filtered(filter).getCount() };
  }

  private filtered(filter: PersonFilter) {
    const qb = this.em.createQueryBuilder(PersonSchema, 'p');
    if (filter.email !== undefined) qb.andWhere('lower(p.email) = ?', [filter.email.toLowerCase()]);
    const exact = {
      externalId: filter.externalId,
      organization: filter.organization,
      business: filter.business,
      department: filter.department,
      group: filter.group,
      team: filter.team,
    };
    for (const [key, value] of Object.entries(exact)) if (value !== undefined) qb.andWhere({ [key]: value });
    if (filter.q !== undefined && filter.q !== '') {
      const like = likeContains(filter.q);
      qb.andWhere('(p.first_name ilike ? or p.last_name ilike ? or p.display_name ilike ? or p.email ilike ?)', [like, like, like, like]);
    }
    if (!filter.history) {
      qb.andWhere('(p.valid_from is null or p.valid_from <= ?) and (p.valid_to is null or p.valid_to > ?)', [filter.at, filter.at]);
    }
    return qb;
  }
}
