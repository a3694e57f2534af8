import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { OrgRoleSchema } from './org-role.entity.js';
import { OrgPersonModule } from '../org-person/org-person.module.js';
import { OrgRoleRepository } from './org-role.repository.js';
import { OrgRolesController } from './org-roles.controller.js';
import { OrgRolesService } from './org-roles.service.js';

@Module({
  imports: [MikroOrmModule.forFeature([OrgRoleSchema]), OrgPersonModule],
  controllers: [OrgRolesController],
  providers: [OrgRolesService, OrgRoleRepository],
})
export class OrgRolesModule {}
