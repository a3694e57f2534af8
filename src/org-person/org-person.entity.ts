import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { temporalProperties } from '../org-chart/temporal-properties.js';

/** Assignment of a person to an org unit, optionally with a role. */
export const OrgPersonSchema = defineEntity({
  name: 'OrgPerson',
  tableName: 'org_person',
  properties: {
    id: p.uuid().primary(),
    personId: p.uuid(),
    orgUnitId: p.uuid(),
    orgRoleId: p.uuid().nullable(),
    ...temporalProperties(),
  },
});

export type OrgPerson = InferEntity<typeof OrgPersonSchema>;
