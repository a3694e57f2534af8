import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/authorize.decorator.js';
import { ProblemDetails } from '../common/errors/problem.js';
import { HealthService } from './health.service.js';

@ApiTags('Health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process serves HTTP (never checks the database)' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live() {
    return this.health.live();
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok', database: 'up' } } })
  @ApiResponse({ status: 503, type: ProblemDetails, description: 'Database unavailable (Retry-After).' })
  ready() {
    return this.health.ready();
  }
}
