import type { PersonDto } from './dto/person.dto.js';
import type { Person } from './person.entity.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** True when [validFrom, validTo) contains `at` (null bounds are open). */
export function isActiveAt(validFrom: Date | null | undefined, validTo: Date | null | undefined, at: Date): boolean {
  return (!validFrom || validFrom.getTime() <= at.getTime()) && (!validTo || validTo.getTime() > at.getTime());
}

/** Person -> Opsera dialect (camelCase); `managerEmail` is the stored email of its manager (null when none). */
export function mapPerson(person: Person, at: Date, managerEmail: string | null): PersonDto {
  return {
    id: person.id,
    email: person.email,
    firstName: person.firstName,
    lastName: person.lastName,
    displayName: person.displayName ?? null,
    externalId: person.externalId ?? null,
    organization: person.organization ?? null,
    business: person.business ?? null,
    department: person.department ?? null,
    group: person.group ?? null,
    team: person.team ?? null,
    managerId: person.managerId ?? null,
    managerEmail: person.managerId ? managerEmail : null,
    validFrom: iso(person.validFrom),
    validTo: iso(person.validTo),
    active: isActiveAt(person.validFrom, person.validTo, at),
    createdAt: person.createdAt.toISOString(),
    updatedAt: person.updatedAt.toISOString(),
  };
}
