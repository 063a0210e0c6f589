import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createApp, openApiDocument } from '#src/app/app.factory.js';
import { ENTITIES } from '#src/app/entities.js';
import { SystemClock } from '#src/platform/clock/index.js';
import { createLogger } from '#src/platform/logging/index.js';
import { loadConfig, type AppConfig } from '#src/app/config.js';
import { ConfigError, generateSecretFiles, parseOwner } from '#src/platform/config/index.js';
import {
  createDataSource,
  resolveDatabase,
  resetEmbeddedDatabase,
  renderMigration,
  revertLastMigration,
  runMigrations,
  schemaDrift,
} from '#src/platform/database/index.js';
import { PASSWORD_MIN_LENGTH } from '#src/identity/index.js';
import { DEMO_DOCUMENT_NUMBER, seedDemoRequest } from '#src/app/demo/demo-request.js';
import { seedDemoResponse } from '#src/app/demo/demo-response.js';
import { describeSeed, seedDemo } from '#src/app/demo/seed-demo.js';
import { PROJECT_ROOT } from '#src/platform/project/index.js';

/**
 * Developer and CI commands that need the application's own code: migrations (on DATABASE_URL
 * or the embedded server, like the service) and the committed OpenAPI document.
 */
const USAGE = `usage: node dist/src/cli.js <command>
  migration:run              apply pending migrations
  migration:revert           revert the last applied migration
  migration:check            fail when the entities and migrations/ have drifted apart
  migration:generate <Name>  write migrations/<time>-<Name>.ts from the entities' drift
  migration:create <Name>    write an empty migrations/<time>-<Name>.ts
  seed:demo [--json]         create the demo organizations, people and ISP clients
                             (passwords: DEMO_PASSWORD, else generated); idempotent
  openapi:generate           write docs/openapi.json
  openapi:check              fail when docs/openapi.json differs from the code
  secrets:init <dir> [--owner=UID:GID]
                             write a new key-encryption key, database password and admin
                             password into <dir> where missing (docker-compose.yml); reads no
                             configuration
  db:url                     print the database's connection URL (embedded: started if need be)
  db:psql [psql args]        psql on the database (next to npm start: its embedded one)
  db:reset                   remove the embedded PostgreSQL's data (EMBEDDED_PG_DIR); refused
                             while the service runs`;

const SOURCE_MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');
const OPENAPI_FILE = path.join(PROJECT_ROOT, 'docs', 'openapi.json');

/** A command's refusal: its message is printed alone, after cleanup (finally blocks) ran. */
class CliFailure extends Error {}

function fail(message: string): never {
  throw new CliFailure(message);
}

function readConfig(): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

function migrationName(name: string | undefined): string {
  if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) {
    fail('A migration name in PascalCase is required, e.g. CreateOrganizations');
  }
  return name;
}

async function writeMigration(name: string, up: string[], down: string[]): Promise<string> {
  const timestamp = new SystemClock().now().getTime();
  const file = path.join(SOURCE_MIGRATIONS_DIR, `${timestamp}-${name}.ts`);
  await mkdir(SOURCE_MIGRATIONS_DIR, { recursive: true });
  await writeFile(file, renderMigration(`${name}${timestamp}`, up, down));
  return path.relative(process.cwd(), file);
}

async function withDatabase(
  config: AppConfig,
  work: (ds: Awaited<ReturnType<typeof createDataSource>>, url: string) => Promise<void>,
): Promise<void> {
  const { LOG_LEVEL } = config.platform;
  const logger = createLogger(LOG_LEVEL === 'info' ? 'warn' : LOG_LEVEL);
  // Next to a running `npm start`, use its embedded database rather than refusing.
  const target = await resolveDatabase(config.platform, logger, { attachIfInUse: true });
  const dataSource = await createDataSource(target.url, { ...config.platform, entities: ENTITIES });
  try {
    await dataSource.initialize();
    await work(dataSource, target.url);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await target.embedded?.stop();
  }
}

/** psql on `url` with the terminal, until it exits; its status. */
function runPsql(url: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [url, ...args], { stdio: 'inherit' });
    // The terminal's Ctrl-C is psql's (it cancels a query): not a reason for us to stop.
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    child.once('error', (error: NodeJS.ErrnoException) => {
      process.off('SIGINT', ignore);
      if (error.code === 'ENOENT') {
        reject(
          new CliFailure(
            `psql is not installed (Debian/Ubuntu: apt-get install postgresql-client). ` +
              `The database: ${url}`,
          ),
        );
      } else reject(error);
    });
    child.once('exit', (code) => {
      process.off('SIGINT', ignore);
      resolve(code ?? 1);
    });
  });
}

async function openApiText(config: AppConfig): Promise<string> {
  const logger = createLogger('error'); // quiet: preview mode warns that nothing is instantiated
  const app = await createApp({
    config,
    databaseUrl: 'postgres://unused/unused',
    logger,
    preview: true,
  });
  const text = `${JSON.stringify(openApiDocument(app), null, 2)}\n`;
  await app.close();
  return text;
}

/** `secrets:init <dir> [--owner=UID:GID]`: needs no configuration (it makes the secrets). */
function secretsInit(args: string[]): void {
  const [dir, ...options] = args;
  let owner: { uid: number; gid: number } | undefined;
  for (const option of options) {
    owner = option.startsWith('--owner=') ? parseOwner(option.slice('--owner='.length)) : undefined;
    if (!owner) fail(USAGE);
  }
  if (!dir || dir.startsWith('-')) fail(USAGE);
  const { written, kept } = generateSecretFiles(dir, owner);
  for (const file of written) process.stdout.write(`wrote ${path.join(dir, file)}\n`);
  for (const file of kept) process.stdout.write(`kept ${path.join(dir, file)}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command, arg] = argv;
  if (command === 'secrets:init') return secretsInit(argv.slice(1));
  const config = readConfig();
  switch (command) {
    case 'migration:run':
      return withDatabase(config, async (ds) => {
        const applied = await runMigrations(ds);
        process.stdout.write(
          applied.length
            ? applied.map((m) => `applied ${m.name}\n`).join('')
            : 'nothing to apply\n',
        );
      });
    case 'migration:revert':
      return withDatabase(config, async (ds) => {
        await revertLastMigration(ds);
        process.stdout.write('reverted the last migration\n');
      });
    case 'migration:check':
      return withDatabase(config, async (ds) => {
        await runMigrations(ds);
        const drift = await schemaDrift(ds);
        if (drift.up.length > 0) {
          fail(
            `Entities and migrations/ have drifted apart; run npm run migration:generate -- <Name>. ` +
              `Pending SQL:\n${drift.up.join(';\n')};`,
          );
        }
        process.stdout.write('migrations match the entities\n');
      });
    case 'migration:generate': {
      const name = migrationName(arg);
      return withDatabase(config, async (ds) => {
        await runMigrations(ds);
        const drift = await schemaDrift(ds);
        if (drift.up.length === 0) fail('No changes in the entities: nothing to generate');
        process.stdout.write(`wrote ${await writeMigration(name, drift.up, drift.down)}\n`);
      });
    }
    case 'migration:create': {
      const name = migrationName(arg);
      process.stdout.write(`wrote ${await writeMigration(name, [], [])}\n`);
      return;
    }
    case 'seed:demo': {
      if (config.platform.NODE_ENV === 'production')
        fail('seed:demo refuses to run with NODE_ENV=production');
      const demoPassword = process.env.DEMO_PASSWORD || undefined;
      if (demoPassword !== undefined && demoPassword.length < PASSWORD_MIN_LENGTH) {
        fail(`DEMO_PASSWORD must be at least ${PASSWORD_MIN_LENGTH} characters`);
      }
      return withDatabase(config, async (ds, url) => {
        await runMigrations(ds);
        const seed = await seedDemo(ds, demoPassword);
        // The sample request goes through the application's own services.
        const app = await createApp({
          config: {
            ...config,
            publishing: { ...config.publishing, EXPIRY_INTERVAL_S: 0 },
            obligations: { ...config.obligations, ASSIGNMENT_SCHEDULER_INTERVAL_S: 0 },
            response: { ...config.response, RESPONSE_SCHEDULER_INTERVAL_S: 0 },
            messaging: { ...config.messaging, MAIL_INTAKE_PORT: 0, MAIL_POLL_INTERVAL_MS: 0 },
          },
          databaseUrl: url,
          logger: createLogger('warn'),
        });
        try {
          await app.init();
          const request = await seedDemoRequest(app);
          const response = await seedDemoResponse(app, demoPassword);
          const out = {
            ...seed,
            users: [...seed.users, ...response.users],
            request: { documentNumber: DEMO_DOCUMENT_NUMBER, ...request },
            units: response.units,
            caseId: response.caseId,
            incident: response.incident,
          };
          process.stdout.write(arg === '--json' ? `${JSON.stringify(out)}\n` : describeSeed(out));
        } finally {
          await app.close();
        }
      });
    }
    case 'openapi:generate': {
      await mkdir(path.dirname(OPENAPI_FILE), { recursive: true });
      await writeFile(OPENAPI_FILE, await openApiText(config));
      process.stdout.write(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}\n`);
      return;
    }
    case 'openapi:check': {
      const committed = await readFile(OPENAPI_FILE, 'utf8').catch(() => '');
      if (committed !== (await openApiText(config))) {
        fail('docs/openapi.json differs from the code: run npm run openapi:generate and commit it');
      }
      process.stdout.write('docs/openapi.json matches the code\n');
      return;
    }
    case 'db:url':
      return withDatabase(config, async (_ds, url) => {
        process.stdout.write(`${url}\n`);
      });
    case 'db:psql': {
      let status = 0;
      await withDatabase(config, async (_ds, url) => {
        status = await runPsql(url, argv.slice(1));
      });
      if (status !== 0) fail(`psql exited with status ${status}`);
      return;
    }
    case 'db:reset': {
      const result = await resetEmbeddedDatabase(config.platform).catch((error: unknown) =>
        fail((error as Error).message),
      );
      process.stdout.write(
        result === 'removed'
          ? `removed ${config.platform.EMBEDDED_PG_DIR}: the next start makes a new database\n`
          : `${config.platform.EMBEDDED_PG_DIR} does not exist: nothing to remove\n`,
      );
      return;
    }
    default:
      fail(USAGE);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    const text =
      error instanceof CliFailure
        ? error.message
        : `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    process.stderr.write(`${text}\n`);
    process.exit(1);
  },
);
