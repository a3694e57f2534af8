import type { Options } from '@mikro-orm/postgresql';
import type { AppConfig } from './config/app-config.js';
import { ormConfig } from './database/mikro-orm.config.js';
import { OrgPersonSchema } from './org-person/org-person.entity.js';
import { OrgRoleSchema } from './org-roles/org-role.entity.js';
import { OrgUnitSchema } from './org-units/org-unit.entity.js';
import { PersonSchema } from './people/person.entity.js';
import { ApiTokenSchema } from './tokens/api-token.entity.js';

/**
 * Every entity of the application, for code that runs MikroORM outside the Nest app (the token and
 * migration CLIs). Inside the app each feature module registers its own with
 * `MikroOrmModule.forFeature` and `autoLoadEntities` collects them; this list lives above the
 * features so that `src/database` imports none of them.
 */
export const ENTITIES = [ApiTokenSchema, PersonSchema, OrgUnitSchema, OrgRoleSchema, OrgPersonSchema];

/** {@link ormConfig} with every entity of the application, for the CLIs. */
export function cliOrmConfig(config: AppConfig, url: string): Options {
  return { ...ormConfig(config, url), entities: ENTITIES };
}
