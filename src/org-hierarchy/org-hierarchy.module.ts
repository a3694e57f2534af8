import { Module } from '@nestjs/common';
import { OrgHierarchyController } from './org-hierarchy.controller.js';
import { OrgHierarchyRepository } from './org-hierarchy.repository.js';
import { OrgHierarchyService } from './org-hierarchy.service.js';

/** Hierarchy reads on /v2/org-unit (ancestors, descendants) and the head counts the org-unit routes reuse. */
@Module({
  controllers: [OrgHierarchyController],
  providers: [OrgHierarchyService, OrgHierarchyRepository],
  exports: [OrgHierarchyRepository],
})
export class OrgHierarchyModule {}
