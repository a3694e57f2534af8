import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PersonSchema } from './person.entity.js';
import { OrgPersonModule } from '../org-person/org-person.module.js';
import { PeopleController } from './people.controller.js';
import { PeopleService } from './people.service.js';
import { PersonRepository } from './person.repository.js';

@Module({
  imports: [MikroOrmModule.forFeature([PersonSchema]), OrgPersonModule],
  controllers: [PeopleController],
  providers: [PeopleService, PersonRepository],
  // PeopleService.setManager is the reporting-line rule for other front ends; SCIM Users (src/scim) write through it.
  exports: [PeopleService],
})
export class PeopleModule {}
