import { Body, Controller, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequestPreconditions } from '../common/concurrency/conditional.js';
import type { Preconditions } from '../common/concurrency/entity-tag.js';
import { HistoricizeDto, IdQueryDto, OrgDeleteQueryDto, ViewQueryDto } from '../org-chart/org-api.dto.js';
import { CreateRoute, DeleteRoute, EntityId, HistoricizeRoute, IndexRoute, UpdateRoute, ViewRoute } from '../org-chart/org-routes.js';
import { CreateOrgPersonDto, OrgPersonDto, OrgPersonIndexDto, UpdateOrgPersonDto } from './dto/org-person.dto.js';
import { OrgPersonService } from './org-person.service.js';

const NOUN = 'org person (assignment)';
const CONFLICTS = 'Taken org_person_id, or the person already has an active assignment to the unit with the role.';

/** 4HSE v2 OrgPerson: assignments of people to org units, optionally with a role. */
@ApiTags('OrgPerson (4HSE)')
@Controller('v2/org-person')
export class OrgPersonController {
  constructor(private readonly assignments: OrgPersonService) {}

  @IndexRoute(NOUN, OrgPersonDto, OrgPersonIndexDto, {
    filter: { org_unit_id: '123e4567-e89b-12d3-a456-426655440000' },
    'per-page': 20,
    page: 1,
    sort: 'person_last_name',
  })
  index(@Body() body: OrgPersonIndexDto) {
    return this.assignments.index(body);
  }

  @ViewRoute(NOUN, OrgPersonDto)
  view(@EntityId() id: string, @Query() query: ViewQueryDto): Promise<OrgPersonDto> {
    return this.assignments.view(id, query.as_of);
  }

  @CreateRoute(NOUN, OrgPersonDto, CONFLICTS)
  create(@Body() dto: CreateOrgPersonDto): Promise<OrgPersonDto> {
    return this.assignments.create(dto);
  }

  @UpdateRoute(NOUN, OrgPersonDto, CONFLICTS)
  update(
    @EntityId() id: string,
    @Query() _query: IdQueryDto,
    @Body() dto: UpdateOrgPersonDto,
    @RequestPreconditions() preconditions: Preconditions,
  ): Promise<OrgPersonDto> {
    return this.assignments.update(id, dto, preconditions);
  }

  @DeleteRoute(NOUN, 'none')
  remove(@EntityId() id: string, @Query() query: OrgDeleteQueryDto, @RequestPreconditions() preconditions: Preconditions): Promise<void> {
    return this.assignments.remove(id, query, preconditions);
  }

  @HistoricizeRoute(NOUN, OrgPersonDto)
  historicize(
    @EntityId() id: string,
    @Query() _query: IdQueryDto,
    @Body() dto: HistoricizeDto,
    @RequestPreconditions() preconditions: Preconditions,
  ): Promise<OrgPersonDto> {
    return this.assignments.historicize(id, dto, preconditions);
  }
}
