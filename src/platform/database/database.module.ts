import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { PlatformConfig } from '#src/platform/config/index.js';
import { dataSourceOptions } from '#src/platform/database/data-source.js';
import { PinoTypeOrmLogger } from '#src/platform/database/typeorm-logger.js';

export interface DatabaseModuleOptions {
  url: string;
  config: PlatformConfig;
  logger: Logger;
  /** Every entity of the application: the composition root's list (src/app/entities.ts). */
  entities: Function[];
}

@Module({})
export class DatabaseModule {
  static forRoot({ url, config, logger, entities }: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({
            ...(await dataSourceOptions(url, { ...config, role: config.DB_APP_ROLE, entities })),
            logger: new PinoTypeOrmLogger(logger),
            logging: ['error', 'warn', 'migration'],
            // A database that is down at boot is retried a few times, then the start fails.
            retryAttempts: 5,
            retryDelay: 2000,
          }),
        }),
      ],
    };
  }
}
