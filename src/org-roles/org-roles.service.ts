import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../common/errors/domain-errors.js';
import { mergeRelated, RELATED_ITEMS_LIMIT } from '../org-chart/deletion.js';
import type { HistoricizeDto, OrgDeleteQueryDto } from '../org-chart/org-api.dto.js';
import { deleteOrHistoricize, historicizeOne, insertOne, listPage, updateOne, viewOne } from '../org-chart/org-resource.js';
import { projectName } from '../org-chart/projects.js';
import { createdCoded, patchedCoded } from '../org-chart/coded-fields.js';
import { assertValidity, createdPeriod, patchedPeriod, sentFields } from '../org-chart/validity.js';
import type { Page } from '../common/pagination/page.js';
import type { Preconditions, Tagged } from '../common/concurrency/entity-tag.js';
import { OrgPersonRepository } from '../org-person/org-person.repository.js';
import type { CreateOrgRoleDto, OrgRoleDto, OrgRoleIndexDto, UpdateOrgRoleDto } from './dto/org-role.dto.js';
import { OrgRoleSchema } from './org-role.entity.js';
import { OrgRoleRepository } from './org-role.repository.js';
import { codeTaken, ORG_ROLE } from './org-role.resource.js';

@Injectable()
export class OrgRolesService {
  constructor(
    private readonly em: EntityManager,
    private readonly roles: OrgRoleRepository,
    private readonly assignments: OrgPersonRepository,
  ) {}

  // What the three 4HSE resources share: org-chart/org-resource.ts, driven by this resource's entry ORG_ROLE.
  private readonly org = { em: this.em, rows: this.roles, resource: ORG_ROLE };
  readonly index = (body: OrgRoleIndexDto): Promise<Page<OrgRoleDto>> => listPage(this.org, body);
  readonly view = (id: string, asOf?: Date): Promise<Tagged<OrgRoleDto>> => viewOne(this.org, id, asOf);
  readonly historicize = (id: string, dto: HistoricizeDto, preconditions?: Preconditions): Promise<Tagged<OrgRoleDto>> =>
    historicizeOne(this.org, id, dto.date, preconditions);

  async create(dto: CreateOrgRoleDto): Promise<Tagged<OrgRoleDto>> {
    assertValidity(dto.valid_from, dto.valid_to);
    const id = dto.org_role_id ?? randomUUID();
    if (dto.code && (await this.roles.codeTaken(dto.project_id ?? null, dto.code, null))) throw codeTaken(dto.code);
    const role = this.em.create(OrgRoleSchema, { id, ...createdCoded(dto), ...createdPeriod(dto) });
    return insertOne(this.org, role, { id, code: dto.code ?? null });
  }

  update(id: string, dto: UpdateOrgRoleDto, preconditions?: Preconditions): Promise<Tagged<OrgRoleDto>> {
    return updateOne(this.org, id, preconditions, async (role) => {
      const sent = sentFields(dto);
      const next = { ...patchedCoded(sent, role), ...patchedPeriod(sent, role) };
      if (next.code && (await this.roles.codeTaken(next.projectId, next.code, id))) throw codeTaken(next.code);
      if (next.projectId && next.projectId !== (role.projectId ?? null)) {
        // Projects never mix (contract section 9): the role must not end up held in a unit of another project.
        const outside = await this.assignments.countUnitsOutsideProject(id, next.projectId);
        if (outside > 0) {
          throw InvalidInputError.field(
            'project_id',
            `cannot change to ${projectName(next.projectId)}: ${outside} assignment(s) hold this role in units of another project`,
          );
        }
      }
      return { next, write: { id, code: next.code } };
    });
  }

  /** Related: the assignments that carry this role. */
  async remove(id: string, query: OrgDeleteQueryDto, preconditions?: Preconditions): Promise<void> {
    const scope = { roleId: id };
    await deleteOrHistoricize(this.org, id, query, preconditions, {
      lock: () => this.roles.lock(id),
      related: async () => mergeRelated([await this.assignments.related(scope, RELATED_ITEMS_LIMIT)]),
      removeRelated: () => this.assignments.deleteInScope(scope),
      remove: () => this.roles.delete(id),
    });
  }
}
