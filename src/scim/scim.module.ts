import { Module } from '@nestjs/common';
import { ScimDiscoveryController } from './scim.controller.js';
import { PeopleModule } from '../people/people.module.js';
import { OrgUnitsModule } from '../org-units/org-units.module.js';
import { OrgPersonModule } from '../org-person/org-person.module.js';
import { ScimUsersController } from './scim-users.controller.js';
import { ScimUsersRepository } from './scim-users.repository.js';
import { ScimUsersService } from './scim-users.service.js';
import { ScimGroupsController } from './scim-groups.controller.js';
import { ScimGroupsRepository } from './scim-groups.repository.js';
import { ScimGroupsService } from './scim-groups.service.js';

/** SCIM 2.0 for identity providers (contract section 13): a third dialect over the same services. */
@Module({
  imports: [PeopleModule, OrgUnitsModule, OrgPersonModule],
  controllers: [ScimDiscoveryController, ScimUsersController, ScimGroupsController],
  providers: [ScimUsersRepository, ScimUsersService, ScimGroupsRepository, ScimGroupsService],
})
export class ScimModule {}
