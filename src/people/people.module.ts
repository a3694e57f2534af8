import { Module } from '@nestjs/common';
import { PeopleController } from './people.controller.js';
import { PeopleService } from './people.service.js';
import { PersonRepository } from './person.repository.js';

@Module({ controllers: [PeopleController], providers: [PeopleService, PersonRepository], exports: [PersonRepository] })
export class PeopleModule {}
