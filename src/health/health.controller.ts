import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/authorize.decorator.js';
import { ApiProblem } from '../common/errors/api-problem.decorator.js';
import { HealthService } from './health.service.js';

@ApiTags('Health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @ApiOperation({
    summary: 'Liveness',
    description:
      'The process serves HTTP. Never checks the database, so an orchestrator does not restart a healthy process during a database outage.',
  })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live() {
    return this.health.live();
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness', description: 'The database answers a select 1; 503 with Retry-After otherwise.' })
  @ApiOkResponse({ schema: { example: { status: 'ok', database: 'up' } } })
  @ApiProblem(503, 'Database unavailable (Retry-After).')
  ready() {
    return this.health.ready();
  }
}
