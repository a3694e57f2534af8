import { Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiTags, ApiExtraModels } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { CurrentPrincipal, type Principal } from '../common/auth/principal.js';
import { Scope } from '../common/auth/scopes.js';
import { SiteRole } from '../common/auth/site-roles.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { Idempotent } from '../common/idempotency/idempotency.interceptor.js';
import { ExpensiveRead } from '../common/load/expensive-read.js';
import { ListShape, Paginated } from '../common/pagination/pagination.interceptor.js';
import { edgePipe } from '../common/validation/edge-pipe.js';
import { parseEntityId } from '../common/validation/validation.js';
import { SyncChangeListDto, SyncChangesQueryDto, SyncJobAcceptedDto, SyncJobBodyDto, SyncJobDto, SyncJobQueryDto } from './dto/sync.dto.js';
import { Accepted } from './accepted.decorator.js';
import { Upload, type SyncUpload } from './sync-upload.js';
import { SyncService } from './sync.service.js';

const JobId = edgePipe(parseEntityId);
const SYNC = { scope: Scope.Api, minRole: SiteRole.Administrator } as const;
const ID_PARAM = { name: 'id', description: 'The job id (dashed or 32 hex digits).', schema: { type: 'string' as const, maxLength: 36 } };

/** Bulk sync (contract section 12): one job replaces thousands of single calls. */
@ApiTags('Sync')
@ApiExtraModels(SyncJobBodyDto)
@Controller('api/v2/sync/jobs')
export class SyncController {
  constructor(private readonly sync: SyncService) {}

  @Post()
  @Authorize(SYNC)
  @Idempotent()
  @Accepted((job: SyncJobAcceptedDto) => `/api/v2/sync/jobs/${job.id}`)
  @ApiOperation({
    summary: 'Submit a sync job',
    description:
      'A JSON body {mode, dry_run, max_changes, project_id, people, org_units, org_roles, org_persons}, or a CSV of people ' +
      '(text/csv, UTF-8, comma or semicolon separated, a header row of Opsera field names; options in the query string). ' +
      'The body is read as a stream up to SYNC_BODY_LIMIT_BYTES; each row is validated like the single routes. The job runs in ' +
      'the background: follow it at Location. Job states: queued, running, then succeeded, failed (invalid rows or a reason) or ' +
      'aborted (more changes than max_changes).',
  })
  @ApiConsumes('application/json', 'text/csv')
  @ApiBody({ type: SyncJobBodyDto, required: true })
  @ApiAcceptedResponse({
    type: SyncJobAcceptedDto,
    headers: { Location: { description: 'URL of the job.', schema: { type: 'string', maxLength: 2048 } } },
  })
  @ApiProblem(
    400,
    'Malformed body (not JSON, not a JSON object, an unknown top-level field, a section that is not an array), bad option or CSV header (named in errors[]).',
  )
  @ApiProblem(413, 'The body is larger than SYNC_BODY_LIMIT_BYTES.')
  @ApiProblem(415, 'Neither application/json nor text/csv (UTF-8).')
  submit(
    @Upload() upload: SyncUpload | undefined,
    @Query() query: SyncJobQueryDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<SyncJobAcceptedDto> {
    return this.sync.submit(upload, query, { tokenId: principal.tokenId, tokenName: principal.name, role: principal.role }, request.id);
  }

  @Get(':id')
  @Authorize(SYNC)
  @ApiOperation({ summary: 'Status of a sync job', description: 'Progress, summary and errors (the first 1,000).' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: SyncJobDto })
  @ApiProblem(400, 'Malformed id.')
  @ApiProblem(404, 'No such job.')
  get(@Param('id', JobId) id: string): Promise<SyncJobDto> {
    return this.sync.get(id);
  }

  @Get(':id/changes')
  @ExpensiveRead()
  @Authorize(SYNC)
  @HttpCode(200)
  @ApiOperation({ summary: 'Planned or applied changes of a sync job', description: 'In plan order, paged with page and per-page.' })
  @ApiParam(ID_PARAM)
  @Paginated(ListShape.Envelope, SyncChangeListDto, '`{count, data}` with the X-Pagination-* and Link headers.')
  @ApiProblem(400, 'Malformed id or paging parameter.')
  @ApiProblem(404, 'No such job.')
  changes(@Param('id', JobId) id: string, @Query() query: SyncChangesQueryDto) {
    return this.sync.changes(id, query);
  }
}
