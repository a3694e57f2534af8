import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Assignment of a person to an org unit, optionally with a role. */
export const OrgPersonSchema = defineEntity({
  name: 'OrgPerson',
  tableName: 'org_person',
  properties: {
    id: p.uuid().primary(),
    personId: p.uuid(),
    orgUnitId: p.uuid(),
    orgRoleId: p.uuid().nullable(),
    validFrom: p.datetime().nullable(),
    validTo: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});

export type OrgPerson = InferEntity<typeof OrgPersonSchema>;
