import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { temporalProperties } from '../org-chart/temporal-properties.js';

/** Column lengths shared by the entity, the DTO validators and the migration's CHECKs. */
export const PERSON_LIMITS = { email: 254, name: 100, text: 200 } as const;

export const PersonSchema = defineEntity({
  name: 'Person',
  tableName: 'person',
  properties: {
    id: p.uuid().primary(),
    email: p.string().length(PERSON_LIMITS.email),
    firstName: p.string().length(PERSON_LIMITS.name),
    lastName: p.string().length(PERSON_LIMITS.name),
    displayName: p.string().length(PERSON_LIMITS.text).nullable(),
    externalId: p.string().length(PERSON_LIMITS.text).nullable(),
    organization: p.string().length(PERSON_LIMITS.text).nullable(),
    business: p.string().length(PERSON_LIMITS.text).nullable(),
    department: p.string().length(PERSON_LIMITS.text).nullable(),
    group: p.string().length(PERSON_LIMITS.text).fieldName('group_name').nullable(),
    team: p.string().length(PERSON_LIMITS.text).nullable(),
    /** The person's manager (another person), or null (contract section 11). */
    managerId: p.uuid().fieldName('manager_id').nullable(),
    ...temporalProperties(),
  },
});

export type Person = InferEntity<typeof PersonSchema>;
