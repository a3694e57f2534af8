import { Module } from '@nestjs/common';
import { OrgPersonModule } from '../org-person/org-person.module.js';
import { PeopleController } from './people.controller.js';
import { PeopleService } from './people.service.js';
import { PersonRepository } from './person.repository.js';

@Module({ imports: [OrgPersonModule], controllers: [PeopleController], providers: [PeopleService, PersonRepository] })
export class PeopleModule {}
