import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { AssignmentsModule, ComplianceModule, SightingsModule } from '#src/obligations/index.js';
import {
  AuditModule,
  AuditCheckpointsModule,
  AuditExportModule,
  AuditSearchModule,
  AuditVerifyModule,
} from '#src/audit/index.js';
import { OutboxModule, WebhooksModule } from '#src/messaging/index.js';
import { ENTITIES } from '#src/app/entities.js';
import { ClockModule, type Clock } from '#src/platform/clock/index.js';
import {
  BlockingRequestsModule,
  ImportsModule,
  IndicatorsModule,
  ProtectedListsModule,
} from '#src/publishing/index.js';
import { FeedModule, TaxiiModule } from '#src/feeds/index.js';
import { AuthModule } from '#src/identity/index.js';
import type { AppConfig } from '#src/app/config.js';
import { ConfigModule } from '#src/app/config.module.js';
import { DatabaseModule, type DatabaseModuleOptions } from '#src/platform/database/index.js';
import { IdempotencyModule } from '#src/platform/idempotency/index.js';
import { HealthModule } from '#src/platform/health/index.js';
import { MetricsModule } from '#src/platform/metrics/index.js';

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
