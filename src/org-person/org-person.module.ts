import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { OrgPersonSchema } from './org-person.entity.js';
import { OrgPersonController } from './org-person.controller.js';
import { OrgPersonRepository } from './org-person.repository.js';
import { OrgPersonService } from './org-person.service.js';

/**
 * Assignments. Exports the repository (people, units and roles list and cascade their assignments
 * through it) and the service (SCIM Group membership writes assignments through it).
 */
@Module({
  imports: [MikroOrmModule.forFeature([OrgPersonSchema])],
  controllers: [OrgPersonController],
  providers: [OrgPersonService, OrgPersonRepository],
  exports: [OrgPersonRepository, OrgPersonService],
})
export class OrgPersonModule {}
