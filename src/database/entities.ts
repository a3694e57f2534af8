import { OrgPersonSchema } from '../org-person/org-person.entity.js';
import { OrgRoleSchema } from '../org-roles/org-role.entity.js';
import { OrgUnitSchema } from '../org-units/org-unit.entity.js';
import { PersonSchema } from '../people/person.entity.js';
import { ApiTokenSchema } from '../tokens/api-token.entity.js';

/** Every entity of the application, registered once with MikroORM. */
export const ENTITIES = [ApiTokenSchema, PersonSchema, OrgUnitSchema, OrgRoleSchema, OrgPersonSchema];
