import { Module } from '@nestjs/common';
import { OrgPersonController } from './org-person.controller.js';
import { OrgPersonRepository } from './org-person.repository.js';
import { OrgPersonService } from './org-person.service.js';

/** Assignments. Exports the repository: people, units and roles list and cascade their assignments through it. */
@Module({ controllers: [OrgPersonController], providers: [OrgPersonService, OrgPersonRepository], exports: [OrgPersonRepository] })
export class OrgPersonModule {}
