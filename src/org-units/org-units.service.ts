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
import { ORG_UNIT_SORTS, type CreateOrgUnitDto, type OrgUnitDto, type OrgUnitIndexDto, type UpdateOrgUnitDto } from './dto/org-unit.dto.js';
import { OrgUnitSchema, type OrgUnit } from './org-unit.entity.js';
import { OrgUnitRepository } from './org-unit.repository.js';

const CYCLE = 'would create a cycle';

@Injectable()
export class OrgUnitsService {
  constructor(
    private readonly em: EntityManager,
    private readonly units: OrgUnitRepository,
    private readonly assignments: OrgPersonRepository,
  ) {}

  async index(body: OrgUnitIndexDto): Promise<Page<OrgUnitDto>> {
    const page = body.pageRequest();
    const { items, total } = await this.units.list(
      body.filter,
      parseSort(body.sort, ORG_UNIT_SORTS),
      page,
      body.history ?? false,
      new Date(),
    );
    return { items, total, page: page.page, perPage: page.perPage };
  }

  async view(id: string): Promise<Tagged<OrgUnitDto>> {
    const row = await this.units.view(id, new Date());
    if (!row) throw notFound(id);
    return taggedRow(row, id);
  }

  async create(dto: CreateOrgUnitDto): Promise<Tagged<OrgUnitDto>> {
    assertValidity(dto.valid_from, dto.valid_to);
    const id = dto.org_unit_id ?? randomUUID();
    const parentId = dto.parent_org_unit_id ?? null;
    if (parentId) await this.assertParentProject(parentId, dto.project_id ?? null, 'parent_org_unit_id');
    if (dto.code && (await this.units.codeTaken(dto.project_id ?? null, dto.code, null))) throw codeTaken(dto.code);
    const unit = this.em.create(OrgUnitSchema, {
      id,
      code: dto.code ?? null,
      name: dto.name,
      description: dto.description ?? null,
      parentId,
      projectId: dto.project_id ?? null,
      validFrom: dto.valid_from ?? null,
      validTo: dto.valid_to ?? null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await this.write(() => this.em.persist(unit).flush(), id, dto.code ?? null);
    return this.view(id);
  }

  /** Partial update; a new parent must exist and must not be the unit or one of its descendants. */
  async update(id: string, dto: UpdateOrgUnitDto, preconditions?: Preconditions): Promise<Tagged<OrgUnitDto>> {
    return inTransaction(this.em, async () => {
      const unit = await this.findForWrite(id, preconditions);
      const sent = sentFields(dto);
      if (sent.name === null) throw InvalidInputError.field('name', 'must not be null');
      const next = {
        code: sent.code === undefined ? (unit.code ?? null) : sent.code,
        name: sent.name ?? unit.name,
        description: sent.description === undefined ? (unit.description ?? null) : sent.description,
        parentId: sent.parent_org_unit_id === undefined ? (unit.parentId ?? null) : sent.parent_org_unit_id,
        projectId: sent.project_id === undefined ? (unit.projectId ?? null) : sent.project_id,
        validFrom: sent.valid_from === undefined ? (unit.validFrom ?? null) : sent.valid_from,
        validTo: sent.valid_to === undefined ? (unit.validTo ?? null) : sent.valid_to,
      };
      assertValidity(next.validFrom, next.validTo);
      const parentChanged = next.parentId !== (unit.parentId ?? null);
      const projectChanged = next.projectId !== (unit.projectId ?? null);
      // Which field a project mismatch with the parent is about: the one this request changes.
      const projectField = parentChanged ? 'parent_org_unit_id' : 'project_id';
      if (next.parentId && parentChanged) {
        if (next.parentId === id) throw InvalidInputError.field('parent_org_unit_id', CYCLE);
        if (!(await this.units.exists(next.parentId))) throw missingParent(next.parentId);
        if (await this.units.isInSubtree(id, next.parentId)) throw InvalidInputError.field('parent_org_unit_id', CYCLE);
      }
      if (next.parentId && (parentChanged || projectChanged)) await this.assertParentProject(next.parentId, next.projectId, projectField);
      if (projectChanged) await this.assertProjectChangeable(id, next.projectId);
      if (next.code && (await this.units.codeTaken(next.projectId, next.code, id))) throw codeTaken(next.code);
      this.em.assign(unit, { ...next, updatedAt: new Date() });
      await this.write(() => this.em.flush(), id, next.code, projectField);
      return this.view(id);
    });
  }

  async historicize(id: string, dto: HistoricizeDto, preconditions?: Preconditions): Promise<Tagged<OrgUnitDto>> {
    return inTransaction(this.em, async () => {
      const unit = await this.findForWrite(id, preconditions);
      applyHistoricize(unit, dto.date);
      await this.em.flush();
      return this.view(id);
    });
  }

  /** Related: every descendant unit and the assignments of the unit and all descendants. */
  async remove(id: string, query: OrgDeleteQueryDto, preconditions?: Preconditions): Promise<void> {
    if (query.historicize) {
      await this.historicize(id, {}, preconditions);
      return;
    }
    const scope = { unitSubtreeOf: id };
    await deleteWithRules(
      this.em,
      {
        lock: () => this.units.lockSubtree(id),
        check: async () => void (await lockForWrite(this.em, OrgUnitSchema, id, preconditions, 'org unit')),
        related: async () => {
          const units = await this.units.descendants(id, RELATED_ITEMS_LIMIT);
          return mergeRelated([units, await this.assignments.related(scope, RELATED_ITEMS_LIMIT - units.items.length)]);
        },
        removeRelated: () => this.assignments.deleteInScope(scope),
        remove: () => this.units.deleteSubtree(id),
        notFound: () => notFound(id),
      },
      query.force ?? false,
    );
  }

  /** The org unit locked for a write in the current transaction, after its If-Match check (412). */
  private async findForWrite(id: string, preconditions: Preconditions | undefined): Promise<OrgUnit> {
    const found = await lockForWrite(this.em, OrgUnitSchema, id, preconditions, 'org unit');
    if (!found) throw notFound(id);
    return found;
  }

  /** Projects never mix (contract section 9): the parent has the unit's project_id, null included. */
  private async assertParentProject(parentId: string, projectId: string | null, field: string): Promise<void> {
    const parent = await this.units.projectOf(parentId);
    if (!parent) throw missingParent(parentId);
    if (parent.projectId !== projectId) {
      throw InvalidInputError.field(
        field,
        `the parent unit ${parentId} is in project ${projectName(parent.projectId)}, this unit in ${projectName(projectId)}: ` +
          'a unit and its parent have the same project_id',
      );
    }
  }

  /**
   * A unit's project_id changes only while nothing would mix (docs/decisions.md): no child unit (they
   * keep theirs; move or change them first) and no assignment whose role belongs to another project.
   */
  private async assertProjectChangeable(id: string, projectId: string | null): Promise<void> {
    const children = await this.units.countChildrenOutsideProject(id, projectId);
    if (children > 0) {
      throw InvalidInputError.field(
        'project_id',
        `cannot change to ${projectName(projectId)}: the unit has ${children} child unit(s) of another project; change or move them first`,
      );
    }
    const assignments = await this.assignments.countRolesOutsideProject(id, projectId);
    if (assignments > 0) {
      throw InvalidInputError.field(
        'project_id',
        `cannot change to ${projectName(projectId)}: ${assignments} assignment(s) in the unit hold a role of another project`,
      );
    }
  }

  /** The checks above give the messages; constraints and the cycle trigger settle races. */
  private async write(flush: () => Promise<void>, id: string, code: string | null, projectField = 'parent_org_unit_id'): Promise<void> {
    try {
      await flush();
    } catch (error) {
      const constraint = violatedConstraint(error);
      if (constraint === 'org_unit_pkey') throw new ConflictError(`An org unit with id ${id} already exists.`);
      if (constraint === 'org_unit_project_code_uniq') throw codeTaken(code ?? '');
      if (constraint === 'org_unit_parent_id_fkey')
        throw InvalidInputError.field('parent_org_unit_id', 'does not exist (it was deleted meanwhile)');
      if (constraint === 'org_unit_no_cycle' || constraint === 'org_unit_not_own_parent')
        throw InvalidInputError.field('parent_org_unit_id', CYCLE);
      if (constraint === 'org_unit_parent_project_fkey')
        throw InvalidInputError.field(projectField, 'the parent or a child unit is in another project (changed meanwhile)');
      if (constraint === 'org_unit_assignments_same_project')
        throw InvalidInputError.field('project_id', 'an assignment in the unit holds a role of another project (added meanwhile)');
      throw error;
    }
  }
}

function notFound(id: string): EntityNotFoundError {
  return new EntityNotFoundError(`No org-unit with id ${id}.`);
}

function missingParent(id: string): InvalidInputError {
  return InvalidInputError.field('parent_org_unit_id', `does not exist: ${id}`);
}

function codeTaken(code: string): ConflictError {
  return new ConflictError(`An org unit with code ${code} already exists in this project.`);
}
