import { Module } from '@nestjs/common';
import { OrgPersonModule } from '../org-person/org-person.module.js';
import { OrgRoleRepository } from './org-role.repository.js';
import { OrgRolesController } from './org-roles.controller.js';
import { OrgRolesService } from './org-roles.service.js';

@Module({ imports: [OrgPersonModule], controllers: [OrgRolesController], providers: [OrgRolesService, OrgRoleRepository] })
export class OrgRolesModule {}
