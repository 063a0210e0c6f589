import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { CONFIG_SECTIONS, type AppConfig } from '#src/app/config.js';

/**
 * Makes each validated section injectable everywhere under its class
 * (`@Inject(PlatformConfig)`, `@Inject(MessagingConfig)`...): a provider asks for its own.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers: Provider[] = Object.entries(CONFIG_SECTIONS).map(([name, section]) => ({
      provide: section,
      useValue: config[name as keyof AppConfig],
    }));
    return {
      module: ConfigModule,
      providers,
      exports: Object.values(CONFIG_SECTIONS),
    };
  }
}
