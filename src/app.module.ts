import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { AuthModule } from '#src/auth/auth.module.js';
import { ConfigModule } from '#src/config/config.module.js';
import { DatabaseModule, type DatabaseModuleOptions } from '#src/database/database.module.js';
import { HealthModule } from '#src/health/health.module.js';
import { MetricsModule } from '#src/metrics/metrics.module.js';

export interface AppModuleOptions extends DatabaseModuleOptions {
  /** Extra modules (tests mount probe controllers this way). */
  extraImports?: ModuleMetadata['imports'];
}

/** The feature modules of the service. A new feature module is listed here. */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        DatabaseModule.forRoot(options),
        AuthModule,
        HealthModule,
        MetricsModule,
        ...(options.extraImports ?? []),
      ],
    };
  }
}
