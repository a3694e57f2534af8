import { Injectable } from '@nestjs/common';
import { EntityNotFoundError } from '../common/errors/domain-errors.js';
import type { Page } from '../common/pagination/page.js';
import type { AncestorDto, AncestorsQueryDto, DescendantDto, DescendantsRequestDto } from './dto/org-hierarchy.dto.js';
import { OrgHierarchyRepository } from './org-hierarchy.repository.js';

/** Hierarchy reads of contract section 11: a unit's ancestors and descendants, with head counts when asked. */
@Injectable()
export class OrgHierarchyService {
  constructor(private readonly hierarchy: OrgHierarchyRepository) {}

  /** Root first, down to the unit's parent; empty for a root; 404 when the unit does not exist. */
  async ancestors(id: string, query: AncestorsQueryDto): Promise<AncestorDto[]> {
    const asOf = query.as_of;
    const chain = await this.hierarchy.ancestors(id, asOf ?? new Date(), query.history ?? false, query.with_counts ?? false, asOf);
    if (!chain.some((row) => row.self)) throw notFound(id);
    return chain.filter((row) => !row.self).map(({ self: _self, ...row }) => row);
  }

  /** A page of the unit's descendants in depth-first order; 404 when the unit does not exist. */
  async descendants(body: DescendantsRequestDto): Promise<Page<DescendantDto>> {
    const page = body.pageRequest();
    const asOf = body.as_of ?? undefined;
    const found = await this.hierarchy.descendants(body.org_unit_id, {
      maxDepth: body.depth,
      filter: body.filter,
      history: body.history ?? false,
      withCounts: body.with_counts ?? false,
      page,
      at: asOf ?? new Date(),
      asOf,
    });
    if (!found.found) throw notFound(body.org_unit_id);
    return { items: found.items, total: found.total, page: page.page, perPage: page.perPage };
  }
}

function notFound(id: string): EntityNotFoundError {
  return new EntityNotFoundError(`No org-unit with id ${id}.`);
}
