import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { Scope } from '../common/auth/scopes.js';
import { SiteRole } from '../common/auth/site-roles.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { Created } from '../common/http/created.decorator.js';
import { ExpensiveRead } from '../common/load/expensive-read.js';
import { EntityTagged, RequestPreconditions } from '../common/concurrency/conditional.js';
import type { Preconditions } from '../common/concurrency/entity-tag.js';
import { Idempotent } from '../common/idempotency/idempotency.interceptor.js';
import { DeleteQueryDto } from '../common/http/delete-query.dto.js';
import { ListShape, Paginated } from '../common/pagination/pagination.interceptor.js';
import {
  CreatePersonDto,
  PeopleQueryDto,
  PersonDto,
  PersonEmailPipe,
  PersonInLineListDto,
  PersonListDto,
  PersonViewQueryDto,
  ReportsQueryDto,
  UpdatePersonDto,
} from './dto/person.dto.js';
import { PeopleService } from './people.service.js';

const READ = { scope: Scope.Api, minRole: SiteRole.Viewer } as const;
const WRITE = { scope: Scope.Api, minRole: SiteRole.PowerUser } as const;
const DELETE = { ...WRITE, escalate: { query: 'force', minRole: SiteRole.Administrator } } as const;
const EMAIL_PARAM = {
  name: 'email',
  example: 'ada.lovelace@example.com',
  description: 'Matched case-insensitively.',
  schema: { type: 'string' as const, maxLength: 254 },
};
const problem = ApiProblem;

/** Opsera People data-mapping API (camelCase, `{count, data}` lists). */
@ApiTags('People (Opsera)')
@Controller('api/v2/data/people')
export class PeopleController {
  constructor(private readonly people: PeopleService) {}

  @Get()
  @ExpensiveRead()
  @Authorize(READ)
  @ApiOperation({ summary: 'List people', description: 'Active people only unless history=true. Paged with page and per-page.' })
  @Paginated(ListShape.Envelope, PersonListDto, '`{count, data}` with the X-Pagination-* and Link headers.')
  @problem(400, 'Bad query parameter (named in errors[]).')
  list(@Query() query: PeopleQueryDto) {
    return this.people.list(query);
  }

  @Post()
  @Authorize(WRITE)
  @EntityTagged()
  @Idempotent()
  @Created((person: PersonDto) => `/api/v2/data/people/${encodeURIComponent(person.email)}`)
  @ApiOperation({
    summary: 'Create a person',
    description:
      'email, firstName and lastName are required; the older Opsera names business_group, applicationdepartment and projectgroup are accepted as aliases.',
  })
  @ApiBody({
    type: CreatePersonDto,
    examples: { person: { value: { email: 'Ada.Lovelace@example.com', firstName: 'Ada', lastName: 'Lovelace', department: 'Platform' } } },
  })
  @ApiCreatedResponse({
    type: PersonDto,
    headers: { Location: { description: 'URL of the new person.', schema: { type: 'string', maxLength: 2048 } } },
  })
  @problem(400, 'Invalid or missing field (named in errors[]).')
  @problem(409, 'A person with this email (case-insensitively) exists.')
  create(@Body() dto: CreatePersonDto): Promise<PersonDto> {
    return this.people.create(dto);
  }

  @Get(':email')
  @Authorize(READ)
  @EntityTagged()
  @ApiOperation({
    summary: 'View a person by email',
    description:
      'Inactive people are answered too, with active: false. With asOf: the person as recorded then (404 if none had the email then).',
  })
  @ApiParam(EMAIL_PARAM)
  @ApiOkResponse({ type: PersonDto })
  @problem(400, 'Invalid email format or asOf.')
  @problem(404, 'No such person.')
  get(@Param('email', PersonEmailPipe) email: string, @Query() query: PersonViewQueryDto): Promise<PersonDto> {
    return this.people.get(email, query.asOf);
  }

  @Get(':email/reports')
  @ExpensiveRead()
  @Authorize(READ)
  @ApiOperation({
    summary: "List a person's reports",
    description:
      'Direct reports (depth=1, the default), down to depth levels, or every level (depth=all), each with its depth; sorted and paged ' +
      'as the people list (inactive people left out unless history=true). With asOf: the reporting lines, emails and values as ' +
      'recorded then, active evaluated then (404 if nobody had the email then).',
  })
  @ApiParam(EMAIL_PARAM)
  @Paginated(ListShape.Envelope, PersonInLineListDto, '`{count, data}` with the X-Pagination-* and Link headers.')
  @problem(400, 'Invalid email format or query parameter (named in errors[]).')
  @problem(404, 'No such person.')
  reports(@Param('email', PersonEmailPipe) email: string, @Query() query: ReportsQueryDto) {
    return this.people.reports(email, query);
  }

  @Get(':email/managers')
  @Authorize(READ)
  @ApiOperation({
    summary: "List a person's managers",
    description:
      'The chain from the direct manager (depth 1) up to the top, inactive managers included (with active: false). With asOf: ' +
      'the reporting lines, emails and values as recorded then, active evaluated then (404 if nobody had the email then).',
  })
  @ApiParam(EMAIL_PARAM)
  @ApiOkResponse({ type: PersonInLineListDto })
  @problem(400, 'Invalid email format or asOf.')
  @problem(404, 'No such person.')
  managers(@Param('email', PersonEmailPipe) email: string, @Query() query: PersonViewQueryDto) {
    return this.people.managers(email, query.asOf);
  }

  @Put(':email')
  @Authorize(WRITE)
  @EntityTagged()
  @ApiOperation({ summary: 'Update a person (partial)', description: 'Absent fields stay unchanged; null clears an optional field.' })
  @ApiParam(EMAIL_PARAM)
  @ApiOkResponse({ type: PersonDto })
  @problem(400, 'Invalid field or email format.')
  @problem(404, 'No such person.')
  @problem(409, 'The new email is taken.')
  update(
    @Param('email', PersonEmailPipe) email: string,
    @Body() dto: UpdatePersonDto,
    @RequestPreconditions() preconditions: Preconditions,
  ): Promise<PersonDto> {
    return this.people.update(email, dto, preconditions);
  }

  @Delete(':email')
  @Authorize(DELETE)
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a person',
    description:
      'Refused (400, listing them) while assignments or direct reports exist, unless force=true (Administrator or higher): a forced delete ' +
      'removes the assignments and leaves the direct reports without a manager. historicize=true ends the validity instead.',
  })
  @ApiParam(EMAIL_PARAM)
  @ApiNoContentResponse({ description: 'Deleted (or historicized).' })
  @problem(400, 'Invalid email format or parameter, or related entities exist (listed in related).')
  @problem(404, 'No such person.')
  remove(
    @Param('email', PersonEmailPipe) email: string,
    @Query() query: DeleteQueryDto,
    @RequestPreconditions() preconditions: Preconditions,
  ): Promise<void> {
    return this.people.remove(email, query, preconditions);
  }
}
