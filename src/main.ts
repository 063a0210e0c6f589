import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { createApp } from '#src/app/app.factory.js';
import { createLogger } from '#src/platform/logging/index.js';
import { loadConfig, type AppConfig } from '#src/app/config.js';
import { ConfigError, impliedNodeEnv } from '#src/platform/config/index.js';
import {
  createDataSource,
  resolveDatabase,
  type DatabaseTarget,
  runMigrations,
} from '#src/platform/database/index.js';

function readConfig(): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const { platform } = config;
  const logger = createLogger(platform.LOG_LEVEL);
  if (impliedNodeEnv(process.env) === 'development') {
    logger.warn(
      { NODE_ENV: platform.NODE_ENV, keyFile: platform.KEY_ENCRYPTION_KEY_FILE },
      'NODE_ENV is not set and the database is the embedded one: running as development (a key-encryption key generated in the key file, plain-http webhooks accepted). Set NODE_ENV=production, KEY_ENCRYPTION_KEY and DATABASE_URL for real use (docs/security.md).',
    );
  }
  // A stray rejection is a bug to log, not a reason to drop every in-flight request.
  process.on('unhandledRejection', (reason) =>
    logger.error({ err: reason }, 'unhandled rejection'),
  );

  let database: DatabaseTarget | undefined;
  try {
    database = await resolveDatabase(platform, logger);
    if (platform.DB_MIGRATIONS_RUN) {
      // Before the application starts: its modules read their tables as they initialise.
      const dataSource = await createDataSource(database.url, { ...platform, DB_POOL_MAX: 1 });
      await dataSource.initialize();
      try {
        const applied = await runMigrations(dataSource);
        logger.info({ applied: applied.map((m) => m.name) }, 'migrations applied');
      } finally {
        await dataSource.destroy();
      }
    }
    const app = await createApp({ config, databaseUrl: database.url, logger });
    await app.listen({ port: platform.PORT, host: platform.HOST });
    logger.info({ url: await app.getUrl(), docs: `${await app.getUrl()}/api/docs` }, 'listening');

    let stopping = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: draining in-flight requests');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: platform.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
        process.exit(1);
      }, platform.SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      // app.close(): stop accepting, finish in-flight requests, then close the pool.
      app
        .close()
        .then(() => database?.embedded?.stop())
        .then(() => {
          logger.info('stopped');
          process.exit(0);
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        });
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    await database?.embedded?.stop();
    process.exit(1);
  }
}

void main();
