import { Module } from '@nestjs/common';
import { ScimDiscoveryController } from './scim.controller.js';

/** SCIM 2.0 for identity providers (contract section 13): a third dialect over the same services. */
@Module({
  controllers: [ScimDiscoveryController],
})
export class ScimModule {}
