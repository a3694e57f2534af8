import { Injectable } from '@nestjs/common';
import { QueryOrder } from '@mikro-orm/core';
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

  async list(filter: PersonFilter, sort: SortTerm<PersonSortField>[], page: PageRequest): Promise<{ items: Person[]; total: number }> {
    const qb = this.em.createQueryBuilder(PersonSchema, 'p').select('*');
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
    // Sort fields are allow-listed entity property names (PERSON_SORT_FIELDS); the id breaks ties.
    const order = sort.map((t) => ({ [t.field]: t.direction === 'asc' ? QueryOrder.ASC_NULLS_LAST : QueryOrder.DESC_NULLS_FIRST }));
    qb.orderBy([...order, { id: QueryOrder.ASC }]);
    qb.limit(page.perPage).offset(offsetOf(page));
    const [items, total] = await qb.getResultAndCount();
    return { items, total };
  }
}
