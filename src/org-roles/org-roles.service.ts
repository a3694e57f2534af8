import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { violatedConstraint } from '../database/database-errors.js';
import { ConflictError, EntityNotFoundError, InvalidInputError } from '../common/errors/domain-errors.js';
import { deleteWithRules, mergeRelated, RELATED_ITEMS_LIMIT } from '../org-chart/deletion.js';
import type { HistoricizeDto, OrgDeleteQueryDto } from '../org-chart/org-api.dto.js';
import { projectName } from '../org-chart/projects.js';
import { applyHistoricize, assertValidity, sentFields } from '../org-chart/validity.js';
import { lockForWrite } from '../org-chart/write-lock.js';
import { taggedRow, type Preconditions, type Tagged } from '../common/concurrency/entity-tag.js';
import { inTransaction } from '../database/transaction.js';
import type { Page } from '../common/pagination/page.js';
import { parseSort } from '../common/pagination/sort.js';
import { OrgPersonRepository } from '../org-person/org-person.repository.js';
import { ORG_ROLE_SORTS, type CreateOrgRoleDto, type OrgRoleDto, type OrgRoleIndexDto, type UpdateOrgRoleDto } from './dto/org-role.dto.js';
import { OrgRoleSchema, type OrgRole } from './org-role.entity.js';
import { OrgRoleRepository } from './org-role.repository.js';

@Injectable()
export class OrgRolesService {
  constructor(
    private readonly em: EntityManager,
    private readonly roles: OrgRoleRepository,
    private readonly assignments: OrgPersonRepository,
  ) {}

  async index(body: OrgRoleIndexDto): Promise<Page<OrgRoleDto>> {
    const page = body.pageRequest();
    const { items, total } = await this.roles.list(
      body.filter,
      parseSort(body.sort, ORG_ROLE_SORTS),
      page,
      body.history ?? false,
      new Date(),
    );
    return { items, total, page: page.page, perPage: page.perPage };
  }

  async view(id: string): Promise<Tagged<OrgRoleDto>> {
    const row = await this.roles.view(id, new Date());
    if (!row) throw notFound(id);
    return taggedRow(row, id);
  }

  async create(dto: CreateOrgRoleDto): Promise<Tagged<OrgRoleDto>> {
    assertValidity(dto.valid_from, dto.valid_to);
    const id = dto.org_role_id ?? randomUUID();
    if (dto.code && (await this.roles.codeTaken(dto.project_id ?? null, dto.code, null))) throw codeTaken(dto.code);
    const role = this.em.create(OrgRoleSchema, {
      id,
      code: dto.code ?? null,
      name: dto.name,
      description: dto.description ?? null,
      projectId: dto.project_id ?? null,
      validFrom: dto.valid_from ?? null,
      validTo: dto.valid_to ?? null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await this.write(() => this.em.persist(role).flush(), id, dto.code ?? null);
    return this.view(id);
  }

  async update(id: string, dto: UpdateOrgRoleDto, preconditions?: Preconditions): Promise<Tagged<OrgRoleDto>> {
    return inTransaction(this.em, async () => {
      const role = await this.findForWrite(id, preconditions);
      const sent = sentFields(dto);
      if (sent.name === null) throw InvalidInputError.field('name', 'must not be null');
      const next = {
        code: sent.code === undefined ? (role.code ?? null) : sent.code,
        name: sent.name ?? role.name,
        description: sent.description === undefined ? (role.description ?? null) : sent.description,
        projectId: sent.project_id === undefined ? (role.projectId ?? null) : sent.project_id,
        validFrom: sent.valid_from === undefined ? (role.validFrom ?? null) : sent.valid_from,
        validTo: sent.valid_to === undefined ? (role.validTo ?? null) : sent.valid_to,
      };
      assertValidity(next.validFrom, next.validTo);
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
      this.em.assign(role, { ...next, updatedAt: new Date() });
      await this.write(() => this.em.flush(), id, next.code);
      return this.view(id);
    });
  }

  async historicize(id: string, dto: HistoricizeDto, preconditions?: Preconditions): Promise<Tagged<OrgRoleDto>> {
    return inTransaction(this.em, async () => {
      const role = await this.findForWrite(id, preconditions);
      applyHistoricize(role, dto.date);
      await this.em.flush();
      return this.view(id);
    });
  }

  /** Related: the assignments that carry this role. */
  async remove(id: string, query: OrgDeleteQueryDto, preconditions?: Preconditions): Promise<void> {
    if (query.historicize) {
      await this.historicize(id, {}, preconditions);
      return;
    }
    const scope = { roleId: id };
    await deleteWithRules(
      this.em,
      {
        lock: () => this.roles.lock(id),
        check: async () => void (await lockForWrite(this.em, OrgRoleSchema, id, preconditions, 'org role')),
        related: async () => mergeRelated([await this.assignments.related(scope, RELATED_ITEMS_LIMIT)]),
        removeRelated: () => this.assignments.deleteInScope(scope),
        remove: () => this.roles.delete(id),
        notFound: () => notFound(id),
      },
      query.force ?? false,
    );
  }

  /** The org role locked for a write in the current transaction, after its If-Match check (412). */
  private async findForWrite(id: string, preconditions: Preconditions | undefined): Promise<OrgRole> {
    const found = await lockForWrite(this.em, OrgRoleSchema, id, preconditions, 'org role');
    if (!found) throw notFound(id);
    return found;
  }

  private async write(flush: () => Promise<void>, id: string, code: string | null): Promise<void> {
    try {
      await flush();
    } catch (error) {
      const constraint = violatedConstraint(error);
      if (constraint === 'org_role_pkey') throw new ConflictError(`An org role with id ${id} already exists.`);
      if (constraint === 'org_role_project_code_uniq') throw codeTaken(code ?? '');
      if (constraint === 'org_role_assignments_same_project')
        throw InvalidInputError.field('project_id', 'an assignment holds this role in a unit of another project (added meanwhile)');
      throw error;
    }
  }
}

function notFound(id: string): EntityNotFoundError {
  return new EntityNotFoundError(`No org-role with id ${id}.`);
}

function codeTaken(code: string): ConflictError {
  return new ConflictError(`An org role with code ${code} already exists in this project.`);
}
