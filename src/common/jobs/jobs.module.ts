import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config.js';
import { jobQueueOptions } from '../../database/job-queue.js';
import { JOB_QUEUE_OPTIONS, Jobs } from './jobs.service.js';

/** The durable job queue ({@link Jobs}), available to every feature. */
@Global()
@Module({})
export class JobsModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: JobsModule,
      providers: [{ provide: JOB_QUEUE_OPTIONS, useValue: jobQueueOptions(config, databaseUrl, config.database.migrateOnStart) }, Jobs],
      exports: [Jobs],
    };
  }
}
