import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { runOnServer, testDatabaseUrl } from '#test/support/database-urls.js';
import { ServiceProcess } from '#test/support/service-process.js';

/*
 * `docker compose up --build` without Docker: this machine has no Docker engine, so the test
 * reads docker-compose.yml and the Dockerfile and does what they say with the same files, the
 * same commands and the same environment. What it cannot reproduce is the containers
 * themselves (users, network); each deviation is named where it is made.
 */

// --- The Dockerfile -------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's stages, each a list of instructions (continuations joined, comments out). */
function dockerfileStages(): Instruction[][] {
  const text = readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const stages: Instruction[][] = [];
  for (const line of logical) {
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

interface Copy {
  from?: string;
  sources: string[];
  /** Relative to the stage's WORKDIR. */
  dest: string;
}

function copies(stage: Instruction[]): Copy[] {
  let workdir = '/';
  const result: Copy[] = [];
  for (const { keyword, args } of stage) {
    if (keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, args);
    if (keyword !== 'COPY') continue;
    const words = args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    const dest = path.posix.relative(workdir, path.posix.resolve(workdir, paths.at(-1) ?? ''));
    result.push({ from, sources: paths.slice(0, -1), dest });
  }
  return result;
}

function workdirOf(stage: Instruction[]): string {
  return stage
    .filter((i) => i.keyword === 'WORKDIR')
    .reduce((dir, i) => path.posix.resolve(dir, i.args), '/');
}

/** The ENV of a stage (`ENV A=1 B=2`, or the older `ENV A 1`). */
function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of stage.filter((i) => i.keyword === 'ENV')) {
    if (!args.includes('=')) {
      const [name, ...value] = args.split(/\s+/);
      env[name] = value.join(' ');
      continue;
    }
    for (const pair of args.split(/\s+/)) {
      const at = pair.indexOf('=');
      env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

function cmdOf(stage: Instruction[]): string[] {
  const cmd = stage.findLast((i) => i.keyword === 'CMD');
  return JSON.parse(cmd?.args ?? 'null') as string[];
}

// --- docker-compose.yml ---------------------------------------------------------------------

interface Service {
  build?: unknown;
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function compose(): Compose {
  return parseYaml(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as Compose;
}

function environmentOf(service: Service): Record<string, string> {
  const env: Record<string, string> = {};
  const entries = Array.isArray(service.environment)
    ? service.environment.map((item) => [
        item.slice(0, item.indexOf('=')),
        item.slice(item.indexOf('=') + 1),
      ])
    : Object.entries(service.environment ?? {});
  for (const [name, value] of entries) {
    if (value !== null && value !== undefined) env[name] = String(value);
  }
  return env;
}

/** The services that `name` waits to have run to completion (one-shot set-up steps). */
function setUpStepsOf(file: Compose, name: string): string[] {
  const dependsOn = file.services[name].depends_on;
  if (!dependsOn || Array.isArray(dependsOn)) return [];
  return Object.entries(dependsOn)
    .filter(([, d]) => d.condition === 'service_completed_successfully')
    .map(([step]) => step);
}

// --- Running what they say ------------------------------------------------------------------

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await ServiceProcess.killAll();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function tempDir(label: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `threat-exchange-compose-${label}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * node_modules as the build stage leaves it: a hard-linked copy of the checkout's (what
 * `npm ci` installed) after the commands of the build stage's RUN that follow `npm run build`
 * (the prune), run as the Dockerfile writes them. A prune that removes what the runtime loads
 * (argon2's native code is an optional dependency) fails the service's start below.
 */
function prunedNodeModules(build: Instruction[]): string {
  const step = build.find((i) => i.keyword === 'RUN' && i.args.includes('npm prune'));
  expect(step).toBeDefined();
  const commands = (step?.args ?? '').split('&&').map((c) => c.trim());
  const after = commands.slice(commands.indexOf('npm run build') + 1);
  const dir = tempDir('build');
  for (const file of ['package.json', 'package-lock.json']) {
    copyFileSync(path.join(PROJECT_ROOT, file), path.join(dir, file));
  }
  const source = path.join(PROJECT_ROOT, 'node_modules');
  const target = path.join(dir, 'node_modules');
  try {
    execFileSync('cp', ['-al', source, target]); // links: fast, the checkout's files untouched
  } catch {
    rmSync(target, { recursive: true, force: true });
    execFileSync('cp', ['-a', source, target]); // another file system
  }
  // npm rewrites its hidden lock file: a file of this copy's own, not a link to the checkout's.
  const hidden = path.join(target, '.package-lock.json');
  if (existsSync(hidden)) {
    rmSync(hidden);
    copyFileSync(path.join(source, '.package-lock.json'), hidden);
  }
  execFileSync('sh', ['-c', after.join(' && ')], {
    cwd: dir,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' },
    stdio: 'ignore',
  });
  return target;
}

/**
 * The runtime stage's files, laid out as the image holds them under WORKDIR: each COPY of the
 * last stage, taken from the checkout (`--from=build /app/X` is the build stage's X: the
 * checkout's own build, `npm run build`, which the test run made), except node_modules, which
 * is pruned as the build stage prunes it.
 */
function assembleImage(): string {
  const stages = dockerfileStages();
  const build = stages.at(-2) ?? [];
  const runtime = stages.at(-1) ?? [];
  const image = tempDir('image');
  for (const copy of copies(runtime)) {
    for (const source of copy.sources) {
      const local = copy.from
        ? path.join(PROJECT_ROOT, path.posix.relative(workdirOf(build), source))
        : path.join(PROJECT_ROOT, source);
      expect(existsSync(local)).toBe(true);
      const target = path.join(image, copy.dest);
      mkdirSync(path.dirname(target), { recursive: true });
      if (path.basename(local) === 'node_modules') symlinkSync(prunedNodeModules(build), target);
      else cpSync(local, target, { recursive: true });
    }
  }
  return image;
}

/** Runs a command to its end: exit code and output. */
function run(
  command: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [file, ...args] = command;
  const child = spawn(file === 'node' ? process.execPath : file, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: tempDir('home'), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/**
 * Each named volume as a local folder, shared by every service that mounts it: a function that
 * rewrites a path inside the service's mount points to the folder.
 */
function volumeMapper(file: Compose): (service: Service) => (value: string) => string {
  const folders = new Map<string, string>();
  return (service) => {
    const mounts: [string, string][] = [];
    for (const volume of service.volumes ?? []) {
      const [name, target] = volume.split(':');
      if (!(name in (file.volumes ?? {}))) continue;
      if (!folders.has(name)) folders.set(name, tempDir(`volume-${name}`));
      mounts.push([target, folders.get(name) ?? '']);
    }
    return (value) => {
      for (const [target, folder] of mounts) {
        if (value === target || value.startsWith(`${target}/`))
          return folder + value.slice(target.length);
      }
      return value;
    };
  };
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

describe('docker-compose.yml and the Dockerfile', () => {
  it('keep every password and key out of docker-compose.yml', () => {
    const file = compose();
    for (const [name, service] of Object.entries(file.services)) {
      const env = environmentOf(service);
      for (const secret of [
        'POSTGRES_PASSWORD',
        'KEY_ENCRYPTION_KEY',
        'ADMIN_PASSWORD',
        'DATABASE_PASSWORD',
      ]) {
        expect([name, secret, env[secret]]).toEqual([name, secret, undefined]);
      }
      if (env.DATABASE_URL) expect(new URL(env.DATABASE_URL).password).toBe('');
    }
  });

  it('copy into the image everything the runtime loads', () => {
    const stages = dockerfileStages();
    const [build, runtime] = [stages.at(-2) ?? [], stages.at(-1) ?? []];
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      imports: Record<string, { default: string }>;
    };
    const needed = [
      'package.json', // the version, the #src/ imports, the bin entry
      'node_modules',
      ...Object.values(pkg.bin).map((bin) => path.posix.normalize(bin)), // npx threat-exchange
      path.posix.dirname(path.posix.normalize(pkg.imports['#src/*'].default)), // dist/src
      'dist/migrations', // applied at start (MIGRATIONS_DIR, from dist/src/platform/database)
    ];
    const copied = copies(runtime).map((c) => c.dest);
    for (const file of needed) {
      const covered = copied.some((dest) => file === dest || file.startsWith(`${dest}/`));
      expect([file, covered]).toEqual([file, true]);
    }
    // What the build stage compiles dist/ from.
    const built = copies(build).flatMap((c) => c.sources);
    for (const source of [
      'package.json',
      'package-lock.json',
      'src',
      'migrations',
      'web',
      'docs/openapi.json',
    ]) {
      expect(built).toContain(source);
    }
    // Sources taken from the build context must exist, be let through .dockerignore and keep
    // their executable bit (bin/).
    const ignored = readFileSync(path.join(PROJECT_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const source of copies(runtime)
      .filter((c) => !c.from)
      .flatMap((c) => c.sources)) {
      const top = path.posix.normalize(source).split('/')[0];
      expect([source, ignored.includes(top)]).toEqual([source, false]);
      expect(existsSync(path.join(PROJECT_ROOT, source))).toBe(true);
    }
    for (const bin of Object.values(pkg.bin)) {
      expect(statSync(path.join(PROJECT_ROOT, bin)).mode & 0o111).not.toBe(0);
    }
  });

  it('start the API with exactly the environment compose gives it: ready, the administrator from its file, the CLI', async () => {
    const file = compose();
    const runtime = dockerfileStages().at(-1) ?? [];
    const imageEnv = envOf(runtime);
    const image = assembleImage();
    const volumesOf = volumeMapper(file);
    const api = file.services.api;
    const apiPath = volumesOf(api);

    // 1. The set-up steps the API waits for, with the image's environment and their own.
    //    Deviation: --owner (the container users' uid:gid) needs root here as in the container.
    for (const name of setUpStepsOf(file, 'api')) {
      const step = file.services[name];
      const stepPath = volumesOf(step);
      const command =
        typeof step.command === 'string'
          ? step.command.split(/\s+/)
          : (step.command ?? cmdOf(runtime));
      const local = command
        .map(stepPath)
        .filter((arg) => process.getuid?.() === 0 || !arg.startsWith('--owner='));
      const result = await run(local, { cwd: image, env: { ...imageEnv, ...environmentOf(step) } });
      expect([name, result.code, result.stderr]).toEqual([name, 0, '']);
    }

    // 2. The database service, as the postgres image makes it on its first start: its user, a
    //    superuser with the password given, owning its database. Deviation: the database is
    //    on the test run's server, under a name of this run.
    const dbEnv = environmentOf(file.services.db);
    const dbPath = volumesOf(file.services.db);
    const dbUser = dbEnv.POSTGRES_USER;
    const dbPassword = dbEnv.POSTGRES_PASSWORD_FILE
      ? readFileSync(dbPath(dbEnv.POSTGRES_PASSWORD_FILE), 'utf8').replace(/\n+$/, '')
      : dbEnv.POSTGRES_PASSWORD;
    const database = `compose_${process.pid}_${Date.now().toString(36)}`;
    try {
      await runOnServer(`CREATE ROLE "${dbUser}" SUPERUSER LOGIN PASSWORD ${literal(dbPassword)}`);
    } catch (error) {
      if ((error as { code?: string }).code !== '42710') throw error; // left by another run
      await runOnServer(`ALTER ROLE "${dbUser}" SUPERUSER LOGIN PASSWORD ${literal(dbPassword)}`);
    }
    await runOnServer(`CREATE DATABASE "${database}" OWNER "${dbUser}"`);
    cleanups.push(async () => {
      await runOnServer(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      // Another run on the same server may still use the role.
      await runOnServer(`DROP ROLE IF EXISTS "${dbUser}"`).catch(() => undefined);
    });

    // 3. The API: the image's ENV under the service's environment, volumes at their local
    //    folders. Deviations: the database URL's host, port and name become the test server's
    //    (its user and password stay compose's), and PORT=0 rather than 3000 (a shared
    //    machine).
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...imageEnv, ...environmentOf(api) })) {
      env[name] = apiPath(value);
    }
    const server = new URL(testDatabaseUrl());
    const url = new URL(env.DATABASE_URL);
    url.hostname = server.hostname;
    url.port = server.port;
    url.pathname = `/${database}`;
    env.DATABASE_URL = url.toString();
    env.PORT = '0';
    expect(env.NODE_ENV).toBe('production');

    const service = ServiceProcess.start(env, { root: image });
    const base = await service.listening(90000);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);

    // The first administrator's password is the one in ADMIN_PASSWORD_FILE.
    expect(env.ADMIN_PASSWORD_FILE).toBeDefined();
    const password = readFileSync(env.ADMIN_PASSWORD_FILE, 'utf8').trim();
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: env.ADMIN_EMAIL ?? 'admin@department.example', password }),
    });
    expect(login.status).toBe(200);

    // `docker compose exec api …`: the CLI and the shipped command, in the image's files with
    // the service's environment.
    const migrations = await run(['node', 'dist/src/cli.js', 'migration:run'], { cwd: image, env });
    expect([migrations.code, migrations.stdout, migrations.stderr]).toEqual([
      0,
      'nothing to apply\n',
      '',
    ]);
    const verify = await run(['npx', '--no-install', 'threat-exchange', 'audit-verify'], {
      cwd: image,
      env,
    });
    expect(verify.code).toBe(2); // used wrongly: the usage, not "the build is missing"
    expect(verify.stderr).toContain('usage: threat-exchange audit-verify');

    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);
  }, 180000);
});
