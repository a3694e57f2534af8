import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authorize } from '../common/auth/authorize.decorator.js';
import { Scope } from '../common/auth/scopes.js';
import { SiteRole } from '../common/auth/site-roles.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { ExpensiveRead } from '../common/load/expensive-read.js';
import { ChangesService } from './changes.service.js';
import { ChangePageDto, ChangesQueryDto } from './dto/change.dto.js';

/** Reading the change log holds the history of personal data: Administrator and above (contract 10.1). */
export const CHANGES_READ = { scope: Scope.Api, minRole: SiteRole.Administrator } as const;

@ApiTags('Changes')
@Controller('api/v2/changes')
export class ChangesController {
  constructor(private readonly changes: ChangesService) {}

  @Get()
  @ExpensiveRead({ holdsPoolPermit: false })
  @Authorize(CHANGES_READ)
  @ApiOperation({
    summary: 'Read the change log (change feed)',
    description:
      'Events after the cursor `after`, oldest first, in commit order: a consumer that passes each answer’s `next` as the next ' +
      '`after` sees every committed event exactly once. With `wait`, an empty answer is held until an event commits or the ' +
      'time is up. With `entity` alone, one answer scans a bounded window of the log: `next` may then move past events of ' +
      'other types without returning any.',
  })
  @ApiOkResponse({ type: ChangePageDto })
  @ApiProblem(400, 'Bad parameter (after, limit, entity, entity_id, wait), named in errors.')
  @ApiProblem(410, 'The cursor is older than the retention of the change log (CHANGES_RETENTION_DAYS): start again without after.')
  list(@Query() query: ChangesQueryDto): Promise<ChangePageDto> {
    return this.changes.list(query);
  }
}
