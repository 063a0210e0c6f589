import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from '#src/platform/config/config.js';

/** Makes the validated AppConfig injectable everywhere (`@Inject(AppConfig)`). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}
