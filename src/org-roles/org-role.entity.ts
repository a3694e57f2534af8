import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { temporalProperties } from '../org-chart/temporal-properties.js';

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
    ...temporalProperties(),
  },
});

export type OrgRole = InferEntity<typeof OrgRoleSchema>;
