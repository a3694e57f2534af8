import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A role a person can hold in a unit. */
export const OrgRoleSchema = defineEntity({
  name: 'OrgRole',
  tableName: 'org_role',
  properties: {
    id: p.uuid().primary(),
    code: p.string().length(100).nullable(),
    name: p.string().length(200),
    description: p.string().length(2000).nullable(),
    projectId: p.uuid().nullable(),
    validFrom: p.datetime().nullable(),
    validTo: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});

export type OrgRole = InferEntity<typeof OrgRoleSchema>;
