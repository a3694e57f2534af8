import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../common/errors/domain-errors.js';
import type { HistoricizeDto, OrgDeleteQueryDto } from '../org-chart/org-api.dto.js';
import { deleteOrHistoricize, historicizeOne, insertOne, listPage, updateOne, viewOne } from '../org-chart/org-resource.js';
import { projectName } from '../org-chart/projects.js';
import { assertValidity, createdPeriod, patched, patchedPeriod, sentFields } from '../org-chart/validity.js';
import type { Page } from '../common/pagination/page.js';
import type { Preconditions, Tagged } from '../common/concurrency/entity-tag.js';
import type { CreateOrgPersonDto, OrgPersonDto, OrgPersonIndexDto, UpdateOrgPersonDto } from './dto/org-person.dto.js';
import { OrgPersonSchema } from './org-person.entity.js';
import { OrgPersonRepository } from './org-person.repository.js';
import { duplicateAssignment, ORG_PERSON } from './org-person.resource.js';

@Injectable()
export class OrgPersonService {
  constructor(
    private readonly em: EntityManager,
    private readonly assignments: OrgPersonRepository,
  ) {}

  // What the three 4HSE resources share: org-chart/org-resource.ts, driven by this resource's entry ORG_PERSON.
  private readonly org = { em: this.em, rows: this.assignments, resource: ORG_PERSON };
  readonly index = (body: OrgPersonIndexDto): Promise<Page<OrgPersonDto>> => listPage(this.org, body);
  readonly view = (id: string, asOf?: Date): Promise<Tagged<OrgPersonDto>> => viewOne(this.org, id, asOf);
  readonly historicize = (id: string, dto: HistoricizeDto, preconditions?: Preconditions): Promise<Tagged<OrgPersonDto>> =>
    historicizeOne(this.org, id, dto.date, preconditions);

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
      ...createdPeriod(dto),
    });
    return insertOne(this.org, entity, { id });
  }

  update(id: string, dto: UpdateOrgPersonDto, preconditions?: Preconditions): Promise<Tagged<OrgPersonDto>> {
    return updateOne(this.org, id, preconditions, async (entity) => {
      const sent = sentFields(dto);
      for (const field of ['person_id', 'org_unit_id'] as const)
        if (sent[field] === null) throw InvalidInputError.field(field, 'must not be null');
      const next = {
        personId: sent.person_id ?? entity.personId,
        orgUnitId: sent.org_unit_id ?? entity.orgUnitId,
        orgRoleId: patched(sent.org_role_id, entity.orgRoleId),
        ...patchedPeriod(sent, entity),
      };
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
      return { next, write: { id, projectField } };
    });
  }

  /** Assignments have no related entities: the delete rules reduce to "exists, then delete". */
  async remove(id: string, query: OrgDeleteQueryDto, preconditions?: Preconditions): Promise<void> {
    await deleteOrHistoricize(this.org, id, query, preconditions, {
      lock: () => this.assignments.lock(id),
      related: () => Promise.resolve({ counts: {}, items: [] }),
      removeRelated: () => Promise.resolve(),
      remove: () => this.assignments.delete(id),
    });
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
}
