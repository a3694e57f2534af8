import { Module } from '@nestjs/common';
import { ScimDiscoveryController } from './scim.controller.js';
import { PeopleModule } from '../people/people.module.js';
import { ScimUsersController } from './scim-users.controller.js';
import { ScimUsersRepository } from './scim-users.repository.js';
import { ScimUsersService } from './scim-users.service.js';

/** SCIM 2.0 for identity providers (contract section 13): a third dialect over the same services. */
@Module({
  imports: [PeopleModule],
  controllers: [ScimDiscoveryController, ScimUsersController],
  providers: [ScimUsersRepository, ScimUsersService],
})
export class ScimModule {}
