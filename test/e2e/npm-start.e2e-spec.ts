import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ServiceProcess } from '#test/support/service-process.js';

interface ProcessEntry {
  pid: number;
  ppid: number;
  cmdline: string;
}

/** Every live process (zombies waiting to be reaped do not count), from /proc. */
async function processes(): Promise<ProcessEntry[]> {
  const entries: ProcessEntry[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (stat === '' || fields[0] === 'Z') continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    entries.push({
      pid: Number(name),
      ppid: Number(fields[1]),
      cmdline: cmdline.replaceAll('\0', ' '),
    });
  }
  return entries;
}

/** `roots` and all their descendants among the live processes. */
async function treeOf(roots: number[]): Promise<ProcessEntry[]> {
  const all = await processes();
  const found = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => found.has(p.pid));
}

/**
 * What the start of the service made: npm, the service (npm's child: the script's `sh -c`
 * execs node), the embedded PostgreSQL (started detached by pg_ctl) and their children.
 */
async function serviceTree(npm: ServiceProcess, dataDir: string): Promise<ProcessEntry[]> {
  const postmaster = Number(
    (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0],
  );
  return treeOf([npm.child.pid ?? -1, postmaster]);
}

/** Live processes among `tree`, or whose command line names `dataDir`; after up to 10 s. */
async function leftOf(tree: ProcessEntry[], dataDir: string): Promise<ProcessEntry[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pids = new Set(tree.map((p) => p.pid));
    const left = (await processes()).filter(
      (p) => pids.has(p.pid) || p.cmdline.includes(`-D ${dataDir} `),
    );
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The service started as the README says (`npm start`), stopped as a service manager or a
 * script stops it: a signal to the process it started, npm. It must drain, stop its embedded
 * PostgreSQL, leave no process behind, and exit 0.
 */
describe('npm start on the embedded PostgreSQL', () => {
  let dir: string;
  let dataDir: string;
  let env: Record<string, string>;
  let password: string | undefined;
  let firstPort: number | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'threat-exchange-npm-start-'));
    await chmod(dir, 0o755);
    dataDir = path.join(dir, 'pg');
    // LOG_LEVEL and NODE_ENV unset: the defaults a developer gets.
    env = { PORT: '0', EMBEDDED_PG_DIR: dataDir, KEY_ENCRYPTION_KEY_FILE: `${dir}/kek` };
  });
  afterEach(async () => {
    await ServiceProcess.killAll();
  });
  afterAll(async () => {
    await ServiceProcess.stopEmbeddedServer(dataDir);
    await rm(dir, { recursive: true, force: true });
  });

  it('SIGTERM to npm: drains, stops the database, exits 0, leaves no process', async () => {
    const npm = ServiceProcess.startWithNpm(env);
    const url = await npm.listening();
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    const tree = await serviceTree(npm, dataDir);
    // npm, node, and the postmaster with its children at least.
    expect(tree.some((p) => /node .*dist\/src\/main\.js/.test(p.cmdline))).toBe(true);
    expect(
      tree.filter((p) => p.cmdline.startsWith('postgres') || /bin\/postgres/.test(p.cmdline))
        .length,
    ).toBeGreaterThan(1);

    process.kill(npm.child.pid ?? -1, 'SIGTERM');
    expect(await npm.exited).toEqual({ code: 0, signal: null });
    expect(await leftOf(tree, dataDir)).toEqual([]);
    expect(npm.logs().map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'shutting down: draining in-flight requests',
        'embedded PostgreSQL stopped',
        'stopped',
      ]),
    );

    // First start: the generated administrator password, once, on stderr, in a banner ...
    const stderr = npm.stderr.join('');
    const shown = [...stderr.matchAll(/^ {3}password: (\S+)$/gm)].map((m) => m[1]);
    expect(shown).toHaveLength(1);
    password = shown[0];
    expect(stderr).toContain('shown once');
    expect(stderr).toMatch(/ADMIN_PASSWORD/);
    // ... never in the JSON log, whose start-up is the service's own lines, not Nest's ~150.
    const stdout = npm.stdout.join('\n');
    expect(stdout).not.toContain(String(password));
    const contexts = new Set(npm.logs().map((l) => l.context));
    for (const chatter of ['RouterExplorer', 'RoutesResolver', 'InstanceLoader']) {
      expect(contexts.has(chatter)).toBe(false);
    }
    expect(npm.logs().length).toBeLessThan(30);
    // The embedded database's connection URL, for psql, on its kept port.
    firstPort = Number((await readFile(path.join(dataDir, 'embedded-port'), 'utf8')).trim());
    const urlLine = npm.logs().find((l) => String(l.msg).startsWith('embedded PostgreSQL: psql'));
    expect(new URL(String(urlLine?.url)).port).toBe(String(firstPort));
  });

  it('Ctrl-C (SIGINT to the process group): exit 0, nothing left, same database port, no new password', async () => {
    const npm = ServiceProcess.startWithNpm(env);
    const url = await npm.listening();
    // The generated password works (the administrator was made on the first start).
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@department.example', password }),
    });
    expect(login.status).toBe(200);
    const tree = await serviceTree(npm, dataDir);
    const port = Number(
      (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[3],
    );
    expect(port).toBe(firstPort);

    // A terminal's Ctrl-C reaches npm and the service both (npm forwards it once more).
    process.kill(-(npm.child.pid ?? -1), 'SIGINT');
    expect(await npm.exited).toEqual({ code: 0, signal: null });
    expect(await leftOf(tree, dataDir)).toEqual([]);
    expect(npm.stderr.join('')).not.toContain('password:');
  });

  it('SIGHUP to npm: npm dies of it, the service notices, stops its database, exits', async () => {
    const npm = ServiceProcess.startWithNpm(env);
    await npm.listening();
    const tree = await serviceTree(npm, dataDir);
    const service = tree.find((p) => /node .*dist\/src\/main\.js/.test(p.cmdline));
    expect(service?.ppid).toBe(npm.child.pid);

    // npm forwards only SIGTERM and SIGINT to its script; SIGHUP ends npm at once.
    process.kill(npm.child.pid ?? -1, 'SIGHUP');
    expect((await npm.exited).signal).toBe('SIGHUP');
    expect(await leftOf(tree, dataDir)).toEqual([]);
    const log = (await readFile(path.join(dataDir, 'postgres.log'), 'utf8')).split('\n');
    expect(log.filter((l) => l.includes('database system is shut down')).length).toBe(3);
  });
});
