import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { temporalProperties } from '../org-chart/temporal-properties.js';

/** A unit of the org chart; a tree through parentId. */
export const OrgUnitSchema = defineEntity({
  name: 'OrgUnit',
  tableName: 'org_unit',
  properties: {
    id: p.uuid().primary(),
    code: p.string().length(100).nullable(),
    name: p.string().length(200),
    description: p.string().length(2000).nullable(),
    parentId: p.uuid().nullable(),
    projectId: p.uuid().nullable(),
    /** The identity provider's id of the unit (a SCIM Group's externalId); case kept, not unique. */
    externalId: p.string().length(255).nullable(),
    ...temporalProperties(),
  },
});

export type OrgUnit = InferEntity<typeof OrgUnitSchema>;
