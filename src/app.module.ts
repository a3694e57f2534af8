import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { ormConfig } from './database/mikro-orm.config.js';
import { HistoryStatistics } from './database/history-statistics.js';
import { AuthModule } from './tokens/auth.module.js';
import { LoadModule } from './common/load/load.module.js';
import { JobsModule } from './common/jobs/jobs.module.js';
import { ConcurrencyModule } from './common/concurrency/concurrency.module.js';
import { IdempotencyModule } from './common/idempotency/idempotency.module.js';
import { createValidationPipe } from './common/validation/validation.js';
import { HealthModule } from './health/health.module.js';
import { TokensModule } from './tokens/tokens.module.js';
import { PeopleModule } from './people/people.module.js';
import { OrgUnitsModule } from './org-units/org-units.module.js';
import { OrgRolesModule } from './org-roles/org-roles.module.js';
import { OrgPersonModule } from './org-person/org-person.module.js';
import { ChangesModule } from './changes/changes.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { WriteContextInterceptor } from './common/audit/write-context.interceptor.js';
import { SyncModule } from './sync/sync.module.js';
import { OrgHierarchyModule } from './org-hierarchy/org-hierarchy.module.js';
import { ScimModule } from './scim/scim.module.js';

@Module({})
export class AppModule {
  /** The whole application for a validated config and a resolved database URL. */
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        // The request context (an EntityManager fork per request, made on first use) is app.setup.ts's.
        MikroOrmModule.forRoot({ ...ormConfig(config, databaseUrl), autoLoadEntities: true, registerRequestContext: false }),
        JobsModule.forRoot(config, databaseUrl),
        AuthModule,
        LoadModule,
        ConcurrencyModule,
        IdempotencyModule,
        HealthModule,
        TokensModule,
        PeopleModule,
        OrgUnitsModule,
        OrgRolesModule,
        OrgPersonModule,
        ChangesModule,
        WebhooksModule,
        SyncModule,
        OrgHierarchyModule,
        ScimModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        // Who writes, for the change log: every handler runs inside writeContext.
        { provide: APP_INTERCEPTOR, useClass: WriteContextInterceptor },
        // Planner statistics of the tables point-in-time reads scan (docs/decisions.md, "Point-in-time reads").
        HistoryStatistics,
      ],
    };
  }
}
