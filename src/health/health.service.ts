import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ServiceUnavailableError } from '../common/errors/domain-errors.js';

@Injectable()
export class HealthService {
  constructor(
    private readonly em: EntityManager,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  live() {
    return { status: 'ok' };
  }

  async ready() {
    try {
      await this.em.getConnection().execute('select 1');
    } catch {
      throw new ServiceUnavailableError('The database does not answer.', this.config.database.retryAfterSeconds);
    }
    return { status: 'ok', database: 'up' };
  }
}
