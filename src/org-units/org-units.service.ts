import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../common/errors/domain-errors.js';
import { mergeRelated, RELATED_ITEMS_LIMIT } from '../org-chart/deletion.js';
import type { HistoricizeDto, OrgDeleteQueryDto } from '../org-chart/org-api.dto.js';
import { deleteOrHistoricize, historicizeOne, insertOne, listPage, updateOne, viewOne } from '../org-chart/org-resource.js';
import { projectName } from '../org-chart/projects.js';
import { createdCoded, patchedCoded } from '../org-chart/coded-fields.js';
import { assertValidity, createdPeriod, patched, patchedPeriod, sentFields } from '../org-chart/validity.js';
import type { Page } from '../common/pagination/page.js';
import type { Preconditions, Tagged } from '../common/concurrency/entity-tag.js';
import { OrgPersonRepository } from '../org-person/org-person.repository.js';
import { validatedDto } from '../common/validation/validation.js';
import { CreateOrgUnitDto, UpdateOrgUnitDto, type OrgUnitDto, type OrgUnitIndexDto } from './dto/org-unit.dto.js';
import { OrgUnitSchema } from './org-unit.entity.js';
import { OrgHierarchyRepository } from '../org-hierarchy/org-hierarchy.repository.js';
import { OrgUnitRepository } from './org-unit.repository.js';
import { codeTaken, CYCLE, missingParent, ORG_UNIT } from './org-unit.resource.js';

@Injectable()
export class OrgUnitsService {
  constructor(
    private readonly em: EntityManager,
    private readonly units: OrgUnitRepository,
    private readonly assignments: OrgPersonRepository,
    private readonly hierarchy: OrgHierarchyRepository,
  ) {}

  // What the three 4HSE resources share: org-chart/org-resource.ts, driven by this resource's entry ORG_UNIT.
  private readonly org = { em: this.em, rows: this.units, resource: ORG_UNIT };
  readonly historicize = (id: string, dto: HistoricizeDto, preconditions?: Preconditions): Promise<Tagged<OrgUnitDto>> =>
    historicizeOne(this.org, id, dto.date, preconditions);

  async index(body: OrgUnitIndexDto): Promise<Page<OrgUnitDto>> {
    const page = await listPage(this.org, body);
    return body.with_counts ? { ...page, items: await this.withCounts(page.items, body.as_of ?? undefined) } : page;
  }

  async view(id: string, withCounts = false, asOf?: Date): Promise<Tagged<OrgUnitDto>> {
    const row = await viewOne(this.org, id, asOf);
    // The spread keeps the entity tag (a symbol property) of the row.
    return withCounts ? (await this.withCounts([row], asOf))[0] : row;
  }

  /** head_count and total_head_count of each unit at the instant: now, or as recorded at `asOf` (contract sections 10.2, 11). */
  private async withCounts<T extends OrgUnitDto>(units: T[], asOf: Date | undefined): Promise<T[]> {
    const counts = await this.hierarchy.headCounts(
      units.map((u) => u.org_unit_id),
      asOf ?? new Date(),
      asOf,
    );
    return units.map((u) => ({ ...u, ...(counts.get(u.org_unit_id) ?? { head_count: 0, total_head_count: 0 }) }));
  }

  async create(dto: CreateOrgUnitDto): Promise<Tagged<OrgUnitDto>> {
    assertValidity(dto.valid_from, dto.valid_to);
    const id = dto.org_unit_id ?? randomUUID();
    const parentId = dto.parent_org_unit_id ?? null;
    if (parentId) await this.assertParentProject(parentId, dto.project_id ?? null, 'parent_org_unit_id');
    if (dto.code && (await this.units.codeTaken(dto.project_id ?? null, dto.code, null))) throw codeTaken(dto.code);
    const externalId = dto.external_id ?? null;
    const unit = this.em.create(OrgUnitSchema, { id, ...createdCoded(dto), externalId, parentId, ...createdPeriod(dto) });
    return insertOne(this.org, unit, { id, code: dto.code ?? null });
  }

  /** {@link create} of an unvalidated body (the 4HSE route's validation; SCIM Groups). */
  createChecked(input: Record<string, unknown>): Promise<Tagged<OrgUnitDto>> {
    return this.create(validatedDto(CreateOrgUnitDto, input));
  }

  /** {@link update} of an unvalidated partial body (the 4HSE route's validation; SCIM Groups). */
  updateChecked(id: string, input: Record<string, unknown>): Promise<Tagged<OrgUnitDto>> {
    return this.update(id, validatedDto(UpdateOrgUnitDto, input));
  }

  /** Partial update; a new parent must exist and must not be the unit or one of its descendants. */
  update(id: string, dto: UpdateOrgUnitDto, preconditions?: Preconditions): Promise<Tagged<OrgUnitDto>> {
    return updateOne(this.org, id, preconditions, async (unit) => {
      const sent = sentFields(dto);
      const next = {
        ...patchedCoded(sent, unit),
        externalId: patched(sent.external_id, unit.externalId),
        parentId: patched(sent.parent_org_unit_id, unit.parentId),
        ...patchedPeriod(sent, unit),
      };
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
      return { next, write: { id, code: next.code, projectField } };
    });
  }

  /** Related: every descendant unit and the assignments of the unit and all descendants. */
  async remove(id: string, query: OrgDeleteQueryDto, preconditions?: Preconditions): Promise<void> {
    const scope = { unitSubtreeOf: id };
    await deleteOrHistoricize(this.org, id, query, preconditions, {
      lock: () => this.units.lockSubtree(id),
      related: async () => {
        const units = await this.units.descendants(id, RELATED_ITEMS_LIMIT);
        return mergeRelated([units, await this.assignments.related(scope, RELATED_ITEMS_LIMIT - units.items.length)]);
      },
      removeRelated: () => this.assignments.deleteInScope(scope),
      remove: () => this.units.deleteSubtree(id),
    });
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
}
