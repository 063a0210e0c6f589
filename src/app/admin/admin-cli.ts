import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { pino } from 'pino';
import { createApp } from '#src/app/app.factory.js';
import { loadConfig, type AppConfig } from '#src/app/config.js';
import {
  FLAG_OF,
  parseAddIsp,
  parseAddUser,
  UsageError,
  USAGE,
  type AdminCommand,
  type ParsedCommand,
} from '#src/app/admin/admin-commands.js';
import {
  COMMAND_LINE,
  AddPersonRequest,
  OnboardIspRequest,
  type AddedPerson,
  type OnboardedIsp,
  OnboardingService,
} from '#src/identity/index.js';
import { ConfigError } from '#src/platform/config/index.js';
import { createDataSource, resolveDatabase, runMigrations } from '#src/platform/database/index.js';
import { createLogger } from '#src/platform/logging/index.js';
import {
  createValidationPipe,
  ProblemException,
  type InvalidParam,
} from '#src/platform/problem/index.js';

/**
 * `threat-exchange org:add-isp | user:add` (docs/onboarding.md): the arguments are read and
 * validated as the API validates its bodies (a bad one: exit 2), then the application is built
 * on the service's database and the OnboardingService does the work, with the API's rules and
 * audit events (a refusal: exit 1). The result goes to stdout, logs to stderr.
 */

export interface AdminIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
}

const processIo: AdminIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
  env: process.env,
};

/** A refusal by the service or the environment: printed alone, exit status 1. */
class Refusal extends Error {}

/** Runs one administration command; returns the exit status. */
export async function runAdmin(
  command: AdminCommand,
  args: string[],
  io: AdminIo = processIo,
): Promise<number> {
  try {
    const out =
      command === 'org:add-isp'
        ? await addIsp(parseAddIsp(args), io)
        : await addUser(parseAddUser(args), io);
    io.stdout(out);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(
        `threat-exchange ${command}: ${error.message}\n` +
          `(threat-exchange ${command} --help lists the options)\n`,
      );
      return 2;
    }
    if (error instanceof Refusal) {
      io.stderr(`threat-exchange ${command}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function addIsp(parsed: ParsedCommand<OnboardIspRequest>, io: AdminIo): Promise<string> {
  if (parsed.help) return `${USAGE['org:add-isp']}\n`;
  const { request } = parsed;
  if (parsed.passwordStdin && request.operator) {
    request.operator.password = await firstLine(io.stdin);
  }
  const valid = await validated('org:add-isp', OnboardIspRequest, request);
  const done = await withOnboarding(io, (onboarding) => onboarding.onboardIsp(COMMAND_LINE, valid));
  return parsed.json ? `${JSON.stringify(done)}\n` : describeIsp(done);
}

async function addUser(parsed: ParsedCommand<AddPersonRequest>, io: AdminIo): Promise<string> {
  if (parsed.help) return `${USAGE['user:add']}\n`;
  const { request } = parsed;
  if (parsed.passwordStdin) request.password = await firstLine(io.stdin);
  const valid = await validated('user:add', AddPersonRequest, request);
  const done = await withOnboarding(io, (onboarding) => onboarding.addPerson(COMMAND_LINE, valid));
  return parsed.json ? `${JSON.stringify(done)}\n` : describePerson(done);
}

/** The first line of standard input (a password), without its line ending. */
async function firstLine(stdin: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += String(chunk);
    if (text.includes('\n') || text.length > 4096) break;
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new UsageError('--password-stdin: standard input holds no password');
  return line;
}

/** The request as the API's validation pipe makes it; its refusals name the flags. */
async function validated<T extends object>(
  command: AdminCommand,
  type: new () => T,
  request: T,
): Promise<T> {
  try {
    return (await createValidationPipe().transform(request, { type: 'body', metatype: type })) as T;
  } catch (error) {
    if (!(error instanceof ProblemException)) throw error;
    const params = (error.extensions['invalid-params'] ?? []) as InvalidParam[];
    const flags = FLAG_OF[command];
    throw new UsageError(
      params.length === 0
        ? (error.detail ?? error.message)
        : params
            .map((p) => `${flags[p.name] ?? p.name}: ${p.reason.replace(/^[\w.]+ /, '')}`)
            .join('; '),
    );
  }
}

function readConfig(env: NodeJS.ProcessEnv): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new Refusal(error.message);
    throw error;
  }
}

/**
 * Builds the application on the service's database (the running service's embedded one, if
 * that is up), applies pending migrations as the service would, runs `work`, and closes: the
 * audit events written are chained before it returns. Background jobs stay off. A problem the
 * service throws is a refusal.
 */
async function withOnboarding<T>(
  io: AdminIo,
  work: (onboarding: OnboardingService) => Promise<T>,
): Promise<T> {
  const loaded = readConfig(io.env);
  const config: AppConfig = {
    ...loaded,
    audit: { ...loaded.audit, AUDIT_CHECKPOINT_INTERVAL_S: 0 },
    // A command does its work and leaves: no workers, no schedulers, no intake port.
    messaging: {
      ...loaded.messaging,
      WEBHOOK_POLL_INTERVAL_MS: 0,
      MAIL_POLL_INTERVAL_MS: 0,
      MAIL_INTAKE_PORT: 0,
    },
    publishing: { ...loaded.publishing, EXPIRY_INTERVAL_S: 0 },
    obligations: { ...loaded.obligations, ASSIGNMENT_SCHEDULER_INTERVAL_S: 0 },
    response: { ...loaded.response, RESPONSE_SCHEDULER_INTERVAL_S: 0 },
  };
  const { LOG_LEVEL } = config.platform;
  // Logs on stderr, quiet unless something is wrong: stdout holds the result alone.
  const logger = createLogger(LOG_LEVEL === 'info' ? 'warn' : LOG_LEVEL, pino.destination(2));
  const target = await resolveDatabase(config.platform, logger, { attachIfInUse: true });
  let app: NestFastifyApplication | undefined;
  try {
    if (config.platform.DB_MIGRATIONS_RUN) {
      const dataSource = await createDataSource(target.url, { ...config.platform, DB_POOL_MAX: 1 });
      await dataSource.initialize();
      try {
        await runMigrations(dataSource);
      } finally {
        await dataSource.destroy();
      }
    }
    app = await createApp({ config, databaseUrl: target.url, logger });
    await app.init();
    return await work(app.get(OnboardingService));
  } catch (error) {
    if (error instanceof ProblemException) throw new Refusal(problemText(error));
    throw error;
  } finally {
    await app?.close();
    await target.embedded?.stop();
  }
}

function problemText(problem: ProblemException): string {
  const params = (problem.extensions['invalid-params'] ?? []) as InvalidParam[];
  const detail = problem.detail ?? problem.title;
  return params.length > 1 ? `${detail}: ${params.map((p) => p.reason).join('; ')}` : detail;
}

const SHOWN_ONCE = 'shown this once: store it now';
const TEMPORARY = 'generated and temporary: the first login asks for a new one';

function describeIsp(done: OnboardedIsp): string {
  const { organization: org, operator, client } = done;
  const lines = [
    `Created the ISP ${org.shortCode} (${org.name}), organization ${org.id}`,
    ...(operator
      ? [
          `  operator    ${operator.email}  (id ${operator.id}, role isp_operator)`,
          ...(operator.generatedPassword
            ? [`  password    ${operator.generatedPassword}   (${TEMPORARY}; ${SHOWN_ONCE})`]
            : []),
        ]
      : []),
    `  API client  ${client.clientId}  (id ${client.id}, "${client.name}")`,
    `  secret      ${client.clientSecret}   (${SHOWN_ONCE})`,
    'Its systems get a token with POST /api/v1/auth/token (client credentials): docs/onboarding.md.',
  ];
  return `${lines.join('\n')}\n`;
}

function describePerson(done: AddedPerson): string {
  const { organization: org, user } = done;
  const lines = [
    `Created ${user.email} in ${org.shortCode} (${org.name}) with the roles ${user.roles.join(', ')}, user ${user.id}`,
    ...(user.generatedPassword
      ? [`  password    ${user.generatedPassword}   (${TEMPORARY}; ${SHOWN_ONCE})`]
      : []),
    'They log in with POST /api/v1/auth/login.',
  ];
  return `${lines.join('\n')}\n`;
}
