import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { OrgUnitSchema } from './org-unit.entity.js';
import { OrgPersonModule } from '../org-person/org-person.module.js';
import { OrgHierarchyModule } from '../org-hierarchy/org-hierarchy.module.js';
import { OrgUnitRepository } from './org-unit.repository.js';
import { OrgUnitsController } from './org-units.controller.js';
import { OrgUnitsService } from './org-units.service.js';

@Module({
  imports: [MikroOrmModule.forFeature([OrgUnitSchema]), OrgPersonModule, OrgHierarchyModule],
  controllers: [OrgUnitsController],
  providers: [OrgUnitsService, OrgUnitRepository],
  // SCIM Groups write units through the same service (contract section 13.3).
  exports: [OrgUnitsService],
})
export class OrgUnitsModule {}
