import { Module } from '@nestjs/common';
import { SyncController } from './sync.controller.js';
import { SyncRepository } from './sync.repository.js';
import { SyncService } from './sync.service.js';
import { SyncWorker } from './sync.worker.js';

/** Bulk sync jobs (contract section 12): the route, the durable worker, the set-based plan and apply. */
@Module({
  controllers: [SyncController],
  providers: [SyncService, SyncRepository, SyncWorker],
})
export class SyncModule {}
