import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { violatedConstraint } from '../database/database-errors.js';
import { ConflictError, EntityNotFoundError, InvalidInputError } from '../common/errors/domain-errors.js';
import { deleteWithRules } from '../org-chart/deletion.js';
import type { HistoricizeDto, OrgDeleteQueryDto } from '../org-chart/org-api.dto.js';
import { projectName } from '../org-chart/projects.js';
import { applyHistoricize, assertValidity, sentFields } from '../org-chart/validity.js';
import { lockForWrite } from '../org-chart/write-lock.js';
import { entityTag, withEntityTag, type Preconditions, type Tagged } from '../common/concurrency/entity-tag.js';
import { inTransaction } from '../database/transaction.js';
import type { Page } from '../common/pagination/page.js';
import { parseSort } from '../common/pagination/sort.js';
import {
  ORG_PERSON_SORTS,
  type CreateOrgPersonDto,
  type OrgPersonDto,
  type OrgPersonIndexDto,
  type UpdateOrgPersonDto,
} from './dto/org-person.dto.js';
import { OrgPersonSchema, type OrgPerson } from './org-person.entity.js';
import { mapOrgPerson } from './org-person.mapper.js';
import { OrgPersonRepository } from './org-person.repository.js';

/** Database constraint -> the input field it is about (race backstops for the checks below). */
const FOREIGN_KEYS: Record<string, string> = {
  org_person_person_id_fkey: 'person_id',
  org_person_org_unit_id_fkey: 'org_unit_id',
  org_person_org_role_id_fkey: 'org_role_id',
};

@Injectable()
export class OrgPersonService {
  constructor(
    private readonly em: EntityManager,
    private readonly assignments: OrgPersonRepository,
  ) {}

  async index(body: OrgPersonIndexDto): Promise<Page<OrgPersonDto>> {
    const page = body.pageRequest();
    const { items, total } = await this.assignments.list(
      body.filter,
      parseSort(body.sort, ORG_PERSON_SORTS),
      page,
      body.history ?? false,
      new Date(),
    );
    return { items: items.map(mapOrgPerson), total, page: page.page, perPage: page.perPage };
  }

  async view(id: string): Promise<Tagged<OrgPersonDto>> {
    const row = await this.assignments.view(id, new Date());
    if (!row) throw notFound(id);
    return withEntityTag(mapOrgPerson(row), entityTag(id, row.entity_version));
  }

  async create(dto: CreateOrgPersonDto): Promise<Tagged<OrgPersonDto>> {
    assertValidity(dto.valid_from, dto.valid_to);
    const id = dto.org_person_id ?? randomUUID();
    const roleId = dto.org_role_id ?? null;
    await this.assertReferencesExist({ person_id: dto.person_id, org_unit_id: dto.org_unit_id, org_role_id: roleId });
    await this.assertRoleProject(dto.org_unit_id, roleId, 'org_role_id');
    await this.assertNoActiveDuplicate(
      { personId: dto.person_id, unitId: dto.org_unit_id, roleId, from: dto.valid_from ?? null, to: dto.valid_to ?? null },
      null,
    );
    const entity = this.em.create(OrgPersonSchema, {
      id,
      personId: dto.person_id,
      orgUnitId: dto.org_unit_id,
      orgRoleId: roleId,
      validFrom: dto.valid_from ?? null,
      validTo: dto.valid_to ?? null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await this.write(() => this.em.persist(entity).flush(), id);
    return this.view(id);
  }

  async update(id: string, dto: UpdateOrgPersonDto, preconditions?: Preconditions): Promise<Tagged<OrgPersonDto>> {
    return inTransaction(this.em, async () => {
      const entity = await this.findForWrite(id, preconditions);
      const sent = sentFields(dto);
      for (const field of ['person_id', 'org_unit_id'] as const)
        if (sent[field] === null) throw InvalidInputError.field(field, 'must not be null');
      const next = {
        personId: sent.person_id ?? entity.personId,
        orgUnitId: sent.org_unit_id ?? entity.orgUnitId,
        orgRoleId: sent.org_role_id === undefined ? (entity.orgRoleId ?? null) : sent.org_role_id,
        validFrom: sent.valid_from === undefined ? (entity.validFrom ?? null) : sent.valid_from,
        validTo: sent.valid_to === undefined ? (entity.validTo ?? null) : sent.valid_to,
      };
      assertValidity(next.validFrom, next.validTo);
      await this.assertReferencesExist({
        person_id: sent.person_id ?? undefined,
        org_unit_id: sent.org_unit_id ?? undefined,
        org_role_id: sent.org_role_id ?? undefined,
      });
      // Named after what this request changes: the role, else the unit it moves the assignment to.
      const projectField = sent.org_role_id !== undefined ? 'org_role_id' : 'org_unit_id';
      if (sent.org_role_id !== undefined || sent.org_unit_id !== undefined)
        await this.assertRoleProject(next.orgUnitId, next.orgRoleId, projectField);
      await this.assertNoActiveDuplicate(
        { personId: next.personId, unitId: next.orgUnitId, roleId: next.orgRoleId, from: next.validFrom, to: next.validTo },
        id,
      );
      this.em.assign(entity, { ...next, updatedAt: new Date() });
      await this.write(() => this.em.flush(), id, projectField);
      return this.view(id);
    });
  }

  async historicize(id: string, dto: HistoricizeDto, preconditions?: Preconditions): Promise<Tagged<OrgPersonDto>> {
    return inTransaction(this.em, async () => {
      const entity = await this.findForWrite(id, preconditions);
      applyHistoricize(entity, dto.date);
      await this.em.flush();
      return this.view(id);
    });
  }

  /** Assignments have no related entities: the delete rules reduce to "exists, then delete". */
  async remove(id: string, query: OrgDeleteQueryDto, preconditions?: Preconditions): Promise<void> {
    if (query.historicize) {
      await this.historicize(id, {}, preconditions);
      return;
    }
    await deleteWithRules(
      this.em,
      {
        lock: () => this.assignments.lock(id),
        check: async () => void (await lockForWrite(this.em, OrgPersonSchema, id, preconditions, 'assignment')),
        related: () => Promise.resolve({ counts: {}, items: [] }),
        removeRelated: () => Promise.resolve(),
        remove: () => this.assignments.delete(id),
        notFound: () => notFound(id),
      },
      query.force ?? false,
    );
  }

  /** The assignment locked for a write in the current transaction, after its If-Match check (412). */
  private async findForWrite(id: string, preconditions: Preconditions | undefined): Promise<OrgPerson> {
    const found = await lockForWrite(this.em, OrgPersonSchema, id, preconditions, 'assignment');
    if (!found) throw notFound(id);
    return found;
  }

  private async assertReferencesExist(refs: { person_id?: string; org_unit_id?: string; org_role_id?: string | null }): Promise<void> {
    const checks = [
      ['person_id', 'person', refs.person_id],
      ['org_unit_id', 'org_unit', refs.org_unit_id],
      ['org_role_id', 'org_role', refs.org_role_id],
    ] as const;
    const errors = [];
    for (const [field, table, id] of checks) {
      if (id && !(await this.assignments.referencedExists(table, id))) errors.push({ field, message: `does not exist: ${id}` });
    }
    if (errors.length) throw new InvalidInputError(errors);
  }

  private async assertNoActiveDuplicate(
    candidate: Parameters<OrgPersonRepository['activeDuplicate']>[0],
    exceptId: string | null,
  ): Promise<void> {
    const existing = await this.assignments.activeDuplicate(candidate, exceptId, new Date());
    if (existing) throw duplicateAssignment(existing);
  }

  /** Projects never mix (contract section 9): a role with a project_id is held only in units of that project. */
  private async assertRoleProject(unitId: string, roleId: string | null, field: string): Promise<void> {
    if (!roleId) return;
    const projects = await this.assignments.projectsOf(unitId, roleId);
    if (projects.role === undefined || projects.unit === undefined || projects.role === null) return; // gone: the write reports it
    if (projects.role !== projects.unit) {
      throw InvalidInputError.field(
        field,
        `the role ${roleId} is in project ${projectName(projects.role)}, the unit ${unitId} in ${projectName(projects.unit)}: ` +
          'a role with a project_id is held only in units of that project',
      );
    }
  }

  /** The checks above give the messages; the constraints settle races between concurrent writers. */
  private async write(flush: () => Promise<void>, id: string, projectField = 'org_role_id'): Promise<void> {
    try {
      await flush();
    } catch (error) {
      const constraint = violatedConstraint(error);
      if (constraint === 'org_person_pkey') throw new ConflictError(`An assignment with id ${id} already exists.`);
      if (constraint === 'org_person_active_uniq') throw duplicateAssignment();
      if (constraint === 'org_person_role_same_project')
        throw InvalidInputError.field(projectField, "the role's project and the unit's differ (changed meanwhile)");
      if (constraint && FOREIGN_KEYS[constraint])
        throw InvalidInputError.field(FOREIGN_KEYS[constraint], 'does not exist (it was deleted meanwhile)');
      throw error;
    }
  }
}

function notFound(id: string): EntityNotFoundError {
  return new EntityNotFoundError(`No org-person with id ${id}.`);
}

function duplicateAssignment(existing?: string): ConflictError {
  return new ConflictError(
    `This person already has an active assignment to this unit with this role${existing ? ` (org_person_id ${existing})` : ''}.`,
  );
}
