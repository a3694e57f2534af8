import { Module } from '@nestjs/common';
import { ChangesController } from './changes.controller.js';
import { ChangesRepository } from './changes.repository.js';
import { ChangesService } from './changes.service.js';

/** The change log's feed and retention; its repository is what the webhook dispatcher follows. */
@Module({ controllers: [ChangesController], providers: [ChangesService, ChangesRepository], exports: [ChangesRepository, ChangesService] })
export class ChangesModule {}
