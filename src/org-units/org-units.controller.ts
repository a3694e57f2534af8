import { Body, Controller, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequestPreconditions } from '../common/concurrency/conditional.js';
import type { Preconditions } from '../common/concurrency/entity-tag.js';
import { HistoricizeDto, IdQueryDto, OrgDeleteQueryDto } from '../org-chart/org-api.dto.js';
import { CreateRoute, DeleteRoute, EntityId, HistoricizeRoute, IndexRoute, UpdateRoute, ViewRoute } from '../org-chart/org-routes.js';
import { CreateOrgUnitDto, OrgUnitDto, OrgUnitIndexDto, OrgUnitViewQueryDto, UpdateOrgUnitDto } from './dto/org-unit.dto.js';
import { OrgUnitsService } from './org-units.service.js';

const NOUN = 'org unit';
const CONFLICTS = 'Taken org_unit_id, or the code is taken within the project.';

/** 4HSE v2 OrgUnit: the org chart tree. */
@ApiTags('OrgUnit (4HSE)')
@Controller('v2/org-unit')
export class OrgUnitsController {
  constructor(private readonly units: OrgUnitsService) {}

  @IndexRoute(NOUN, OrgUnitDto, OrgUnitIndexDto, {
    filter: { project_id: 'b5a7d602-3fc9-4e2a-9d1a-6e5b4c8f7a01' },
    'per-page': 20,
    page: 1,
    sort: 'name',
  })
  index(@Body() body: OrgUnitIndexDto) {
    return this.units.index(body);
  }

  @ViewRoute(NOUN, OrgUnitDto)
  view(@EntityId() id: string, @Query() query: OrgUnitViewQueryDto): Promise<OrgUnitDto> {
    return this.units.view(id, query.with_counts ?? false, query.as_of);
  }

  @CreateRoute(NOUN, OrgUnitDto, CONFLICTS)
  create(@Body() dto: CreateOrgUnitDto): Promise<OrgUnitDto> {
    return this.units.create(dto);
  }

  @UpdateRoute(NOUN, OrgUnitDto, CONFLICTS)
  update(
    @EntityId() id: string,
    @Query() _query: IdQueryDto,
    @Body() dto: UpdateOrgUnitDto,
    @RequestPreconditions() preconditions: Preconditions,
  ): Promise<OrgUnitDto> {
    return this.units.update(id, dto, preconditions);
  }

  @DeleteRoute(NOUN, 'every descendant unit, and the assignments of the unit and of all descendants')
  remove(@EntityId() id: string, @Query() query: OrgDeleteQueryDto, @RequestPreconditions() preconditions: Preconditions): Promise<void> {
    return this.units.remove(id, query, preconditions);
  }

  @HistoricizeRoute(NOUN, OrgUnitDto)
  historicize(
    @EntityId() id: string,
    @Query() _query: IdQueryDto,
    @Body() dto: HistoricizeDto,
    @RequestPreconditions() preconditions: Preconditions,
  ): Promise<OrgUnitDto> {
    return this.units.historicize(id, dto, preconditions);
  }
}
