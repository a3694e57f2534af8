import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { ConflictError, EntityNotFoundError, InvalidInputError } from '../common/errors/domain-errors.js';
import { violatedConstraint } from '../database/database-errors.js';
import type { DeleteQueryDto } from '../common/http/delete-query.dto.js';
import type { Page } from '../common/pagination/page.js';
import { parseSort } from '../common/pagination/sort.js';
import { keysetPage, keysetRequest } from '../common/pagination/cursor.js';
import { normalizeUuid, validatedDto as validated } from '../common/validation/validation.js';
import {
  ALIASES,
  CreatePersonDto,
  PERSON_SORT_FIELDS,
  UpdatePersonDto,
  type PeopleQueryDto,
  type PersonDto,
  type PersonInLineDto,
  type ReportsQueryDto,
} from './dto/person.dto.js';
import { isActiveAt, mapPerson } from './person.mapper.js';
import { PersonSchema, type Person } from './person.entity.js';
import { PersonRepository } from './person.repository.js';
import { OrgPersonRepository } from '../org-person/org-person.repository.js';
import { deleteWithRules, mergeRelated, RELATED_ITEMS_LIMIT } from '../org-chart/deletion.js';
import { applyHistoricize } from '../org-chart/validity.js';
import { lockForWrite } from '../org-chart/write-lock.js';
import { entityTag, withEntityTag, type Preconditions, type Tagged } from '../common/concurrency/entity-tag.js';
import { inTransaction } from '../database/transaction.js';

const EMAIL_INDEX = 'person_email_lower_uniq';
/** The message of a refused reporting line (contract section 11), as for the unit tree. */
export const CYCLE = 'would create a cycle';
type Editable = Omit<UpdatePersonDto, keyof typeof ALIASES | 'managerEmail'>;

/** A manager as a write resolved it: its id and stored email, or null for none. */
interface Manager {
  id: string;
  email: string;
}

/**
 * A manager named by another front end (SCIM, contract section 13.2): a person id or email (null
 * clears), and the name of the attribute its errors name.
 */
export interface ManagerRef {
  ref: string | null;
  field: string;
}

@Injectable()
export class PeopleService {
  constructor(
    private readonly em: EntityManager,
    private readonly people: PersonRepository,
    private readonly assignments: OrgPersonRepository,
  ) {}

  async list(query: PeopleQueryDto): Promise<Page<PersonDto>> {
    const at = query.asOf ?? new Date();
    const sort = parseSort(query.sort, PERSON_SORT_FIELDS);
    // A cursor is valid only for the list it came from: every parameter but page and cursor.
    const { cursor, page: _page, ...rest } = query;
    const request = keysetRequest(cursor, query.page, query.toPageRequest(), { ...rest, history: query.history ?? false });
    // Read models: the repository returns response rows (no entity hydration on read paths, issue 10).
    const result = await this.people.list({ ...query, history: query.history ?? false, at }, sort, request.page, request.after, query.asOf);
    return keysetPage(request, result);
  }

  /** The person with this email, now or as recorded at `asOf` (contract section 10.2: 404 when there was none then). */
  async get(email: string, asOf?: Date): Promise<Tagged<PersonDto>> {
    const row = await this.people.viewByEmail(email, asOf ?? new Date(), asOf);
    if (!row) throw new EntityNotFoundError(`No person with email ${email}.`);
    // Body and tag from one statement, so both describe the same state of the person.
    const { entity_version: version, ...person } = row;
    return withEntityTag(person, entityTag(person.id, version));
  }

  /**
   * The reports of the person (contract section 11): direct ones (depth 1), down to `depth` levels, or
   * every level (`all`), sorted and paged as the people list. 404 for an unknown email.
   */
  async reports(email: string, query: ReportsQueryDto): Promise<Page<PersonInLineDto>> {
    const id = await this.idOf(email, query.asOf);
    const page = query.toPageRequest();
    const options = { maxDepth: query.maxDepth(), history: query.history ?? false, at: query.asOf ?? new Date(), asOf: query.asOf };
    const { items, total } = await this.people.reports(id, options, parseSort(query.sort, PERSON_SORT_FIELDS), page);
    return { items, total, page: page.page, perPage: page.perPage };
  }

  /**
   * The chain of managers of the person, from the direct one up to the top; as recorded at `asOf` when
   * given (contract sections 10.2 and 11). 404 for an unknown email (one nobody had then).
   */
  async managers(email: string, asOf?: Date): Promise<{ count: number; data: PersonInLineDto[] }> {
    const id = await this.idOf(email, asOf);
    const data = await this.people.managers(id, asOf ?? new Date(), asOf);
    return { count: data.length, data };
  }

  /** The id of the person with this email now, or then (the email recorded at `asOf`); 404 when none. */
  private async idOf(email: string, asOf: Date | undefined): Promise<string> {
    if (asOf === undefined) return (await this.find(email)).id;
    const row = await this.people.viewByEmail(email, asOf, asOf);
    if (!row) throw new EntityNotFoundError(`No person with email ${email}.`);
    return row.id;
  }

  /**
   * Sets or clears the manager of a person by ids (the seam other front ends, such as SCIM, use for
   * the same rule): 404 when the person does not exist, 400 on `field` when the manager does not or
   * when it would make a loop. Serialized with every other change of a reporting line.
   */
  async setManager(personId: string, managerId: string | null, field = 'managerId'): Promise<void> {
    await inTransaction(this.em, async () => {
      await this.people.lockReportingLines();
      const person = await lockForWrite(this.em, PersonSchema, personId, undefined, 'person');
      if (!person) throw new EntityNotFoundError(`No person with id ${personId}.`);
      if (managerId !== null) {
        const manager = await this.em.findOne(PersonSchema, { id: managerId });
        if (!manager) throw InvalidInputError.field(field, 'no person with this id');
        await this.assertNoLoop(person.id, manager.id, field);
      }
      this.em.assign(person, { managerId, updatedAt: new Date() });
      await this.flushGuarding(person.email, field, () => this.em.flush());
    });
  }

  /**
   * One INSERT (issue 10): the unique index on lower(email) answers a taken email with the same 409 a
   * check before it would, and settles races; no unit-of-work flush (BEGIN, INSERT, COMMIT) for a
   * single new row.
   */
  async create(dto: CreatePersonDto, managerRef?: ManagerRef): Promise<Tagged<PersonDto>> {
    const fields = resolveAliases(dto);
    assertValidity(fields.validFrom, fields.validTo);
    // A new person is nobody's manager yet: no loop to check, no reporting-lines lock to take.
    const manager = managerRef
      ? await this.managerByRef(managerRef)
      : dto.managerEmail === undefined || dto.managerEmail === null
        ? null
        : await this.managerByEmail(dto.managerEmail);
    const now = new Date();
    const person: Omit<Person, 'version'> = {
      id: randomUUID(),
      email: dto.email,
      firstName: dto.firstName,
      lastName: dto.lastName,
      displayName: fields.displayName ?? null,
      externalId: fields.externalId ?? null,
      organization: fields.organization ?? null,
      business: fields.business ?? null,
      department: fields.department ?? null,
      group: fields.group ?? null,
      team: fields.team ?? null,
      managerId: manager?.id ?? null,
      validFrom: fields.validFrom ?? null,
      validTo: fields.validTo ?? null,
      createdAt: now,
      updatedAt: now,
    };
    let version = '';
    await this.flushGuarding(dto.email, managerRef?.field ?? 'managerEmail', async () => {
      // The version is set by the database and read back by the insert (RETURNING).
      version = await this.people.insert(person);
    });
    return withEntityTag(mapPerson({ ...person, version }, now, manager?.email ?? null), entityTag(person.id, version));
  }

  /**
   * PUT is a partial update: absent fields stay as they are; null clears an optional field. One
   * transaction holding the person's row lock from the If-Match check to the write.
   */
  async update(email: string, dto: UpdatePersonDto, preconditions?: Preconditions): Promise<Tagged<PersonDto>> {
    return inTransaction(this.em, async () => {
      // A manager change: the reporting-lines lock first, then the row lock (see lockReportingLines).
      if (dto.managerEmail !== undefined) await this.people.lockReportingLines();
      const person = await this.findForWrite(email, preconditions);
      return this.applyUpdate(person, dto);
    });
  }

  private async applyUpdate(person: Person, dto: UpdatePersonDto, managerRef?: ManagerRef): Promise<Tagged<PersonDto>> {
    const { managerEmail, ...rest } = dto;
    const fields = resolveAliases(rest);
    for (const required of ['email', 'firstName', 'lastName'] as const) {
      if (fields[required] === null) throw InvalidInputError.field(required, 'must not be null');
    }
    assertValidity(
      fields.validFrom === undefined ? person.validFrom : fields.validFrom,
      fields.validTo === undefined ? person.validTo : fields.validTo,
    );
    if (fields.email !== undefined && fields.email.toLowerCase() !== person.email.toLowerCase()) {
      await this.assertEmailFree(fields.email);
    }
    const changes: Record<string, unknown> = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    if (managerEmail !== undefined) {
      const manager = managerEmail === null ? null : await this.managerByEmail(managerEmail);
      if (manager) await this.assertNoLoop(person.id, manager.id, 'managerEmail');
      changes.managerId = manager?.id ?? null;
    }
    if (managerRef !== undefined) {
      const manager = await this.managerByRef(managerRef);
      if (manager) await this.assertNoLoop(person.id, manager.id, managerRef.field);
      changes.managerId = manager?.id ?? null;
    }
    this.em.assign(person, { ...changes, updatedAt: new Date() });
    await this.flushGuarding(fields.email ?? person.email, managerRef?.field ?? 'managerEmail', () => this.em.flush());
    // Body and tag read back in the write's transaction: the version the trigger moved, the manager's email.
    const row = await this.people.viewByEmail(person.email, new Date());
    if (!row) throw new EntityNotFoundError(`No person with email ${person.email}.`);
    const { entity_version: version, ...body } = row;
    return withEntityTag(body, entityTag(body.id, version));
  }

  /** Delete rules of contract section 5: a person's related entities are its assignments. */
  async remove(email: string, options: DeleteQueryDto, preconditions?: Preconditions): Promise<void> {
    if (options.historicize) {
      await inTransaction(this.em, async () => {
        const person = await this.findForWrite(email, preconditions);
        applyHistoricize(person);
        await this.em.flush();
      });
      return;
    }
    const person = await this.find(email);
    const scope = { personId: person.id };
    await deleteWithRules(
      this.em,
      {
        // The reporting-lines lock before the row lock, as every manager change takes them: a forced
        // delete clears the manager of the direct reports.
        lock: async () => {
          await this.people.lockReportingLines();
          return this.people.lock(person.id);
        },
        check: async () => void (await lockForWrite(this.em, PersonSchema, person.id, preconditions, 'person')),
        related: async () => {
          const assignments = await this.assignments.related(scope, RELATED_ITEMS_LIMIT);
          return mergeRelated([assignments, await this.people.directReports(person.id, RELATED_ITEMS_LIMIT - assignments.items.length)]);
        },
        // Reports are never deleted with their manager: they lose their manager (contract section 11).
        removeRelated: async () => {
          await this.assignments.deleteInScope(scope);
          await this.people.clearManager(person.id);
        },
        remove: () => this.people.delete(person.id),
        notFound: () => new EntityNotFoundError(`No person with email ${email}.`),
      },
      options.force ?? false,
    );
  }

  // The SCIM dialect (contract section 13, src/scim): the same rules, with ids instead of emails.

  /** POST's validation (the Opsera field names in the errors) and create, with the manager when one is named. */
  async createChecked(input: Record<string, unknown>, manager?: ManagerRef): Promise<Tagged<PersonDto>> {
    return this.create(validated(CreatePersonDto, input), manager);
  }

  /**
   * PUT's validation and partial update of the person with this id, and its activation in the same
   * write: `active` false historicizes an active person (validTo now), true clears the validTo of an
   * inactive one; a person already in that state is left as is (contract section 13.2). With `manager`,
   * the manager is set or cleared in the same write, under the same locks, in the same order, as
   * every other change of a reporting line (`update`, `setManager`, the forced delete).
   */
  async updateChecked(
    id: string,
    input: Record<string, unknown>,
    active: boolean | undefined,
    preconditions?: Preconditions,
    manager?: ManagerRef,
  ): Promise<Tagged<PersonDto>> {
    const dto = validated(UpdatePersonDto, input);
    return inTransaction(this.em, async () => {
      // The reporting-lines lock before the row lock: the other order deadlocks against a concurrent
      // manager change (the loop check of two opposite changes must see one of them committed).
      if (manager !== undefined) await this.people.lockReportingLines();
      const person = await lockForWrite(this.em, PersonSchema, id, preconditions, 'person');
      if (!person) throw new EntityNotFoundError(`No person with id ${id}.`);
      const now = new Date();
      const isActive = isActiveAt(person.validFrom, person.validTo, now);
      if (active === false && isActive) applyHistoricize(person);
      if (active === true && !isActive && person.validTo) dto.validTo = null;
      return this.applyUpdate(person, dto, manager);
    });
  }

  /** The forced delete (contract section 5) of the person with this id. */
  async removeChecked(id: string, preconditions?: Preconditions): Promise<void> {
    const email = await this.people.emailOf(id);
    if (email === undefined) throw new EntityNotFoundError(`No person with id ${id}.`);
    await this.remove(email, { force: true }, preconditions);
  }

  private async find(email: string): Promise<Person> {
    const person = await this.people.findByEmail(email);
    if (!person) throw new EntityNotFoundError(`No person with email ${email}.`);
    return person;
  }

  /** The person locked for a write in the current transaction, after its If-Match check (412). */
  private async findForWrite(email: string, preconditions: Preconditions | undefined): Promise<Person> {
    const person = await lockForWrite(this.em, PersonSchema, (await this.find(email)).id, preconditions, 'person');
    if (!person) throw new EntityNotFoundError(`No person with email ${email}.`);
    return person;
  }

  /** The manager a write names by email: an existing person, or a 400 naming managerEmail. */
  private async managerByEmail(email: string): Promise<Manager> {
    const manager = await this.people.findByEmail(email);
    if (!manager) throw InvalidInputError.field('managerEmail', `no person with email ${email}`);
    return { id: manager.id, email: manager.email };
  }

  /**
   * The manager a SCIM write names: a person id (dashed or 32 hex), else a person's email (Okta may
   * send the manager's userName); null for none; an unknown one is a 400 on `field`.
   */
  private async managerByRef({ ref, field }: ManagerRef): Promise<Manager | null> {
    if (ref === null) return null;
    const id = normalizeUuid(ref);
    const manager = id ? await this.em.findOne(PersonSchema, { id }) : ref.length <= 254 ? await this.people.findByEmail(ref) : null;
    if (!manager) throw InvalidInputError.field(field, `no person with this id or userName: ${ref.slice(0, 100)}`);
    return { id: manager.id, email: manager.email };
  }

  /** 400 on `field` when `managerId` is the person or one of its reports (at any depth). Call it under lockReportingLines. */
  private async assertNoLoop(personId: string, managerId: string, field: string): Promise<void> {
    if (managerId === personId || (await this.people.isInChainOf(personId, managerId))) throw InvalidInputError.field(field, CYCLE);
  }

  private async assertEmailFree(email: string): Promise<void> {
    if (await this.people.findByEmail(email)) throw duplicateEmail(email);
  }

  /**
   * The checks above give the messages; the constraints settle races between concurrent writers: the
   * unique index on the email, the manager's foreign key (a manager deleted meanwhile) and the cycle
   * trigger and CHECK (reported on `managerField`).
   */
  private async flushGuarding(email: string, managerField: string, flush: () => Promise<void>): Promise<void> {
    try {
      await flush();
    } catch (error) {
      const constraint = violatedConstraint(error);
      if (constraint === EMAIL_INDEX) throw duplicateEmail(email);
      if (constraint === 'person_manager_fkey') throw InvalidInputError.field(managerField, 'no such person');
      if (constraint === 'person_manager_no_cycle' || constraint === 'person_manager_not_self') {
        throw InvalidInputError.field(managerField, CYCLE);
      }
      throw error;
    }
  }
}

function duplicateEmail(email: string): ConflictError {
  return new ConflictError(`A person with email ${email} already exists (emails are compared case-insensitively).`);
}

/** Folds the older Opsera names into the current ones; both given with different values is a 400. */
function resolveAliases(dto: UpdatePersonDto): Editable {
  const { business_group, applicationdepartment, projectgroup, ...fields } = dto;
  const aliasValues = { business_group, applicationdepartment, projectgroup };
  const out: Editable = { ...fields };
  for (const [alias, target] of Object.entries(ALIASES) as [keyof typeof ALIASES, (typeof ALIASES)[keyof typeof ALIASES]][]) {
    const value = aliasValues[alias];
    if (value === undefined) continue;
    if (out[target] !== undefined && out[target] !== value) {
      throw InvalidInputError.field(alias, `is an alias of ${target} and conflicts with the ${target} given`);
    }
    out[target] = value;
  }
  return out;
}

function assertValidity(from: Date | null | undefined, to: Date | null | undefined): void {
  if (from && to && to.getTime() <= from.getTime()) throw InvalidInputError.field('validTo', 'must be later than validFrom');
}
