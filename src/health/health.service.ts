import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ServiceUnavailableError } from '../common/errors/domain-errors.js';
import { HealthRepository } from './health.repository.js';

@Injectable()
export class HealthService {
  constructor(
    private readonly database: HealthRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  live() {
    return { status: 'ok' };
  }

  async ready() {
    try {
      await this.database.ping();
    } catch {
      throw new ServiceUnavailableError('The database does not answer.', this.config.database.retryAfterSeconds);
    }
    return { status: 'ok', database: 'up' };
  }
}
