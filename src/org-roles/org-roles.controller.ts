import { Body, Controller, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequestPreconditions } from '../common/concurrency/conditional.js';
import type { Preconditions } from '../common/concurrency/entity-tag.js';
import { HistoricizeDto, IdQueryDto, OrgDeleteQueryDto, ViewQueryDto } from '../org-chart/org-api.dto.js';
import { CreateRoute, DeleteRoute, EntityId, HistoricizeRoute, IndexRoute, UpdateRoute, ViewRoute } from '../org-chart/org-routes.js';
import { CreateOrgRoleDto, OrgRoleDto, OrgRoleIndexDto, UpdateOrgRoleDto } from './dto/org-role.dto.js';
import { OrgRolesService } from './org-roles.service.js';

const NOUN = 'org role';
const CONFLICTS = 'Taken org_role_id, or the code is taken within the project.';

/** 4HSE v2 OrgRole: roles people hold in units. */
@ApiTags('OrgRole (4HSE)')
@Controller('v2/org-role')
export class OrgRolesController {
  constructor(private readonly roles: OrgRolesService) {}

  @IndexRoute(NOUN, OrgRoleDto, OrgRoleIndexDto, { filter: { name: 'manager' }, 'per-page': 20, page: 1, sort: 'code' })
  index(@Body() body: OrgRoleIndexDto) {
    return this.roles.index(body);
  }

  @ViewRoute(NOUN, OrgRoleDto)
  view(@EntityId() id: string, @Query() query: ViewQueryDto): Promise<OrgRoleDto> {
    return this.roles.view(id, query.as_of);
  }

  @CreateRoute(NOUN, OrgRoleDto, CONFLICTS)
  create(@Body() dto: CreateOrgRoleDto): Promise<OrgRoleDto> {
    return this.roles.create(dto);
  }

  @UpdateRoute(NOUN, OrgRoleDto, CONFLICTS)
  update(
    @EntityId() id: string,
    @Query() _query: IdQueryDto,
    @Body() dto: UpdateOrgRoleDto,
    @RequestPreconditions() preconditions: Preconditions,
  ): Promise<OrgRoleDto> {
    return this.roles.update(id, dto, preconditions);
  }

  @DeleteRoute(NOUN, 'the assignments that carry the role')
  remove(@EntityId() id: string, @Query() query: OrgDeleteQueryDto, @RequestPreconditions() preconditions: Preconditions): Promise<void> {
    return this.roles.remove(id, query, preconditions);
  }

  @HistoricizeRoute(NOUN, OrgRoleDto)
  historicize(
    @EntityId() id: string,
    @Query() _query: IdQueryDto,
    @Body() dto: HistoricizeDto,
    @RequestPreconditions() preconditions: Preconditions,
  ): Promise<OrgRoleDto> {
    return this.roles.historicize(id, dto, preconditions);
  }
}
