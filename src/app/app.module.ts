import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { AuditModule } from '#src/audit/index.js';
import { ENTITIES } from '#src/app/entities.js';
import { ClockModule, type Clock } from '#src/platform/clock/index.js';
import { FeedsModule } from '#src/feeds/index.js';
import { IdentityModule } from '#src/identity/index.js';
import { MessagingModule } from '#src/messaging/index.js';
import { ObligationsModule } from '#src/obligations/index.js';
import { PublishingModule } from '#src/publishing/index.js';
import { ResponseModule } from '#src/response/index.js';
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

/**
 * The service: the platform's modules and one module per bounded context (docs/architecture.md);
 * a new feature module is listed in its context's module.
 */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        ClockModule.forRoot(options.clock),
        DatabaseModule.forRoot({ ...options, config: options.config.platform, entities: ENTITIES }),
        IdempotencyModule,
        HealthModule,
        MetricsModule,
        IdentityModule,
        AuditModule,
        MessagingModule,
        FeedsModule,
        PublishingModule,
        ObligationsModule,
        ResponseModule,
        ...(options.extraImports ?? []),
      ],
    };
  }
}
