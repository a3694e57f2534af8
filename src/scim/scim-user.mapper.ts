import { URN } from './scim-schemas.js';

/** A SCIM User (contract section 13.2); members are left out when unassigned (RFC 7643 section 2.5). */
export type ScimUser = Record<string, unknown> & { schemas: string[]; id: string };

/** The person fields a User is made of (the People read model's, contract section 3). */
export interface PersonFields {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string | null;
  externalId: string | null;
  organization: string | null;
  business: string | null;
  department: string | null;
  group: string | null;
  team: string | null;
  managerId: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Only the members with a value. */
function present(fields: Record<string, string | null | undefined>): Record<string, string> | undefined {
  const kept = Object.entries(fields).filter((e): e is [string, string] => e[1] !== null && e[1] !== undefined);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** Person -> SCIM User at `base` (the absolute /scim/v2 URL), with its entity tag as meta.version. */
export function mapUser(person: PersonFields, base: string, version: string): ScimUser {
  const manager = person.managerId === null ? undefined : { value: person.managerId, $ref: `${base}/Users/${person.managerId}` };
  const attributes = present({ organization: person.organization, division: person.business, department: person.department });
  const enterprise = attributes || manager ? { ...attributes, ...(manager ? { manager } : {}) } : undefined;
  const organigram = present({ group: person.group, team: person.team });
  const user: ScimUser = {
    schemas: [URN.user, ...(enterprise ? [URN.enterpriseUser] : []), ...(organigram ? [URN.organigramUser] : [])],
    id: person.id,
    ...(person.externalId !== null ? { externalId: person.externalId } : {}),
    userName: person.email,
    name: { givenName: person.firstName, familyName: person.lastName },
    ...(person.displayName !== null ? { displayName: person.displayName } : {}),
    active: person.active,
    emails: [{ value: person.email, type: 'work', primary: true }],
    ...(enterprise ? { [URN.enterpriseUser]: enterprise } : {}),
    ...(organigram ? { [URN.organigramUser]: organigram } : {}),
    meta: {
      resourceType: 'User',
      created: person.createdAt,
      lastModified: person.updatedAt,
      location: `${base}/Users/${person.id}`,
      version,
    },
  };
  return user;
}
