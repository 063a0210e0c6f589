import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { createApp } from '#src/app/app.factory.js';
import { createLogger } from '#src/platform/logging/index.js';
import type { Logger } from 'pino';
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

  // Signals are handled from here on, not only once listening: a stop asked for while the
  // embedded database starts or migrations run still stops that database (nothing orphaned).
  const stop = stopRequests(logger);

  let database: DatabaseTarget | undefined;
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    database = await resolveDatabase(platform, logger);
    if (!stop.requested && platform.DB_MIGRATIONS_RUN) {
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
    if (!stop.requested) {
      app = await createApp({ config, databaseUrl: database.url, logger });
      await app.listen({ port: platform.PORT, host: platform.HOST });
      logger.info({ url: await app.getUrl(), docs: `${await app.getUrl()}/api/docs` }, 'listening');
    }
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    await app?.close().catch(() => undefined);
    await database?.embedded?.stop();
    process.exit(1);
  }

  const signal = await stop.signal;
  logger.info({ signal }, 'shutting down: draining in-flight requests');
  const timer = setTimeout(() => {
    logger.error({ timeoutMs: platform.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
    process.exit(1);
  }, platform.SHUTDOWN_TIMEOUT_MS);
  timer.unref();
  try {
    // app.close(): stop accepting, finish in-flight requests, then close the pool.
    await app?.close();
    await database.embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}

/** How often a service run by an npm script checks that npm is still there. */
const PARENT_CHECK_MS = 500;

/**
 * The first SIGTERM, SIGINT or SIGHUP. Later ones are ignored while the service drains:
 * `npm start` forwards a terminal's Ctrl-C to a process that got it from the terminal already,
 * and a second signal must not cut the drain short (SHUTDOWN_TIMEOUT_MS bounds it).
 *
 * Run by an npm script (`npm start`), the service also stops when npm is gone: npm forwards
 * SIGTERM and SIGINT to its script, but dies of SIGHUP (and of SIGKILL) at once, leaving the
 * service (and its embedded database) orphaned. Not when started otherwise (by a supervisor,
 * under nohup, as a container's PID 1): there a parent that exits says nothing.
 */
function stopRequests(logger: Logger): {
  readonly requested: boolean;
  signal: Promise<NodeJS.Signals | 'parent exited'>;
} {
  let requested = false;
  let resolveSignal: (signal: NodeJS.Signals | 'parent exited') => void = () => undefined;
  const signal = new Promise<NodeJS.Signals | 'parent exited'>((resolve) => {
    resolveSignal = resolve;
  });
  const request = (reason: NodeJS.Signals | 'parent exited'): void => {
    if (requested) {
      logger.debug({ signal: reason }, 'already shutting down');
      return;
    }
    requested = true;
    resolveSignal(reason);
  };
  for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(name, request);
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(watch);
        logger.warn({ parentPid: parent }, 'npm, which started the service, has exited');
        request('parent exited');
      }
    }, PARENT_CHECK_MS);
    watch.unref();
  }
  return {
    get requested() {
      return requested;
    },
    signal,
  };
}

void main();
