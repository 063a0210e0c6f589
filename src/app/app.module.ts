import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { AssignmentsModule } from '#src/obligations/assignments/assignments.module.js';
import { AuditModule } from '#src/audit/trail/audit.module.js';
import { OutboxModule } from '#src/messaging/outbox/outbox.module.js';
import { ENTITIES } from '#src/app/entities.js';
import { AuditCheckpointsModule } from '#src/audit/checkpoints/audit-checkpoints.module.js';
import { AuditExportModule } from '#src/audit/export/audit-export.module.js';
import { AuditSearchModule } from '#src/audit/search/audit-search.module.js';
import { AuditVerifyModule } from '#src/audit/verification/audit-verify.module.js';
import { ClockModule, type Clock } from '#src/platform/clock/clock.js';
import { BlockingRequestsModule } from '#src/publishing/blocking-requests/blocking-requests.module.js';
import { ComplianceModule } from '#src/obligations/compliance/compliance.module.js';
import { FeedModule } from '#src/feeds/pulls/feed.module.js';
import { TaxiiModule } from '#src/feeds/taxii/taxii.module.js';
import { ImportsModule } from '#src/publishing/imports/imports.module.js';
import { IndicatorsModule } from '#src/publishing/indicators/indicators.module.js';
import { ProtectedListsModule } from '#src/publishing/protected-lists/protected-lists.module.js';
import { AuthModule } from '#src/identity/auth/auth.module.js';
import type { AppConfig } from '#src/app/config.js';
import { ConfigModule } from '#src/app/config.module.js';
import {
  DatabaseModule,
  type DatabaseModuleOptions,
} from '#src/platform/database/database.module.js';
import { IdempotencyModule } from '#src/platform/idempotency/idempotency.module.js';
import { SightingsModule } from '#src/obligations/sightings/sightings.module.js';
import { HealthModule } from '#src/platform/health/health.module.js';
import { MetricsModule } from '#src/platform/metrics/metrics.module.js';
import { WebhooksModule } from '#src/messaging/webhooks/webhooks.module.js';

export interface AppModuleOptions extends Omit<DatabaseModuleOptions, 'config' | 'entities'> {
  /** Every section; the database reads the platform's. */
  config: AppConfig;
  /** Extra modules (tests mount probe controllers this way). */
  extraImports?: ModuleMetadata['imports'];
  clock?: Clock;
}

/** The feature modules of the service. A new feature module is listed here. */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        ClockModule.forRoot(options.clock),
        DatabaseModule.forRoot({ ...options, config: options.config.platform, entities: ENTITIES }),
        AuditModule,
        OutboxModule,
        AuthModule,
        IdempotencyModule,
        ProtectedListsModule,
        IndicatorsModule,
        BlockingRequestsModule,
        AssignmentsModule,
        ImportsModule,
        FeedModule,
        TaxiiModule,
        ComplianceModule,
        SightingsModule,
        HealthModule,
        MetricsModule,
        WebhooksModule,
        AuditSearchModule,
        AuditVerifyModule,
        AuditCheckpointsModule,
        AuditExportModule,
        ...(options.extraImports ?? []),
      ],
    };
  }
}
