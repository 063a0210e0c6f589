import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Real DNS resolvers for tests and benchmarks: BIND 9 (named) and Unbound, each loading one
 * response policy zone from a file, with an authoritative `com` zone holding the names asked
 * for. CI installs them (.ci/run: bind9, bind9-utils, bind9-dnsutils, unbound). No Jest here:
 * the benchmarks (bench/agent-sync.ts) and the tests (test/support/resolvers.ts) share it.
 */

/** Whether `command` is on PATH (some of these exit non-zero after printing their usage). */
const found = (command: string): boolean => {
  try {
    execFileSync(command, ['-h'], { stdio: 'ignore', timeout: 5000 });
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  return true;
};

const TOOLS = ['named', 'unbound', 'dig', 'named-checkzone', 'rndc', 'unbound-control'];

/** Whether every tool the laboratory runs is installed. */
export function resolversInstalled(): boolean {
  return TOOLS.every(found);
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

export interface DigAnswer {
  status: string;
  answers: string[];
}

/** One query with dig (one try, 2 s): the status and the answers' data. */
export function dig(port: number, name: string, type = 'A'): DigAnswer {
  let out: string;
  try {
    out = execFileSync(
      'dig',
      ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', name, type],
      { encoding: 'utf8' },
    );
  } catch (error) {
    // dig exits 9 when no server answered.
    return { status: 'NO ANSWER', answers: [String((error as Error).message).slice(0, 200)] };
  }
  const status = /status: ([A-Z]+)/.exec(out)?.[1] ?? 'NONE';
  const answers = out
    .split('\n')
    .filter((l) => !l.startsWith(';') && new RegExp(`\\sIN\\s+${type}\\s`).test(l))
    .map((l) => l.trim().split(/\s+/).slice(4).join(' '));
  return { status, answers };
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it holds; fails after `timeoutMs` naming `what`. */
export async function until(
  check: () => boolean,
  what: string | (() => string),
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      const named = typeof what === 'string' ? what : what();
      throw new Error(`timed out (${timeoutMs} ms) waiting for ${named}`);
    }
    await sleep(20);
  }
}

export type ResolverName = 'named' | 'unbound';

/**
 * A laboratory of resolvers in a temporary folder:
 * - `named` (BIND): a recursive resolver with the response policy zone `zone` (a primary zone
 *   read from `rpzFile`, `min-update-interval 0` so that every reload takes effect at once),
 *   authoritative for `com` (the test names) and for an empty `internal` (so that the version
 *   name needs no recursion to the root, which this machine cannot reach); rndc on a port of
 *   its own with a key made for the run;
 * - a second named, authoritative for `com` only, for Unbound to iterate to;
 * - `unbound`: a resolver with the same zone file in an `rpz:` clause, stub to the second named,
 *   unbound-control on a local socket.
 * `reloadCommand` reloads the zone in both, as an operator would: `rndc reload` and
 * `unbound-control auth_zone_reload`.
 */
export class ResolverLab {
  readonly dir: string;
  readonly rpzFile: string;
  readonly zone = 'rpz.threat-exchange';
  readonly ports = { named: 0, auth: 0, unbound: 0, rndc: 0 };
  private readonly children = new Map<string, ChildProcess>();
  private readonly output = new Map<string, string>();

  private constructor(dir: string) {
    this.dir = dir;
    this.rpzFile = path.join(dir, 'rpz.zone');
  }

  /**
   * Starts the resolvers with `records` (owner → address) in the `com` zone and, until an agent
   * writes one, an RPZ file that blocks nothing. Resolves once both resolvers answer.
   */
  static async start(records: Record<string, string>): Promise<ResolverLab> {
    const lab = new ResolverLab(mkdtempSync(path.join(tmpdir(), 'resolver-lab-')));
    chmodSync(lab.dir, 0o755);
    lab.ports.named = await freePort();
    lab.ports.auth = await freePort();
    lab.ports.unbound = await freePort();
    lab.ports.rndc = await freePort();
    lab.writeConfigs(records);
    lab.startResolver('named');
    lab.startResolver('unbound');
    lab.spawn('auth', 'named', ['-g', '-c', path.join(lab.dir, 'auth.conf')]);
    const probe = Object.keys(records)[0];
    for (const name of ['named', 'unbound'] as const) {
      await until(
        () => dig(lab.port(name), probe).answers.length > 0,
        () => `${name} to answer ${probe}\n${lab.log(name)}`,
        30_000,
      );
    }
    return lab;
  }

  port(name: ResolverName): number {
    return name === 'named' ? this.ports.named : this.ports.unbound;
  }

  /** `127.0.0.1:<port>` of each resolver, as the agent's --resolver takes it. */
  get addresses(): string[] {
    return [`127.0.0.1:${this.ports.named}`, `127.0.0.1:${this.ports.unbound}`];
  }

  get reloadCommand(): string {
    return (
      `rndc -c ${path.join(this.dir, 'rndc.conf')} reload ${this.zone} && ` +
      `unbound-control -c ${path.join(this.dir, 'unbound.conf')} auth_zone_reload ${this.zone}`
    );
  }

  log(name: string): string {
    return this.output.get(name) ?? '';
  }

  /** Starts (again) one resolver. */
  startResolver(name: ResolverName): void {
    if (name === 'named') {
      this.spawn('named', 'named', ['-g', '-c', path.join(this.dir, 'named.conf')]);
    } else {
      this.spawn('unbound', 'unbound', ['-d', '-c', path.join(this.dir, 'unbound.conf')]);
    }
  }

  /** Stops one resolver and waits for it to exit. */
  async stopResolver(name: ResolverName): Promise<void> {
    const child = this.children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The version the resolver's zone names (the agent's TXT record), or undefined. */
  version(name: ResolverName): number | undefined {
    const { answers } = dig(this.port(name), 'version.threat-exchange.internal', 'TXT');
    const match = /version=(\d+)/.exec(answers.join(' '));
    return match ? Number(match[1]) : undefined;
  }

  private spawn(key: string, command: string, args: string[]): void {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.output.set(key, '');
    const append = (c: Buffer): void => {
      this.output.set(key, (this.output.get(key) ?? '') + c.toString());
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.children.set(key, child);
  }

  private writeConfigs(records: Record<string, string>): void {
    const dir = this.dir;
    const soa = `$TTL 300\n@ IN SOA localhost. hostmaster.localhost. 1 3600 600 604800 300\n@ IN NS localhost.\n`;
    const com = Object.entries(records)
      .map(([owner, address]) => `${owner.replace(/\.$/, '')}. A ${address}\n`)
      .join('');
    writeFileSync(path.join(dir, 'com.zone'), soa + com);
    writeFileSync(path.join(dir, 'internal.zone'), soa);
    // Blocks nothing until an agent writes the zone.
    writeFileSync(
      this.rpzFile,
      `$TTL 60\n@ IN SOA localhost. hostmaster.localhost. 0 3600 600 604800 60\n@ IN NS localhost.\n`,
    );
    const secret = randomBytes(32).toString('base64');
    const key = `key "lab" { algorithm hmac-sha256; secret "${secret}"; };\n`;
    writeFileSync(
      path.join(dir, 'rndc.conf'),
      `${key}options { default-key "lab"; default-server 127.0.0.1; default-port ${this.ports.rndc}; };\n`,
    );
    const options = (name: string, port: number, extra: string): string => `options {
  directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  pid-file "${dir}/${name}.pid";
  dnssec-validation no;
  ${extra}
};\n`;
    writeFileSync(
      path.join(dir, 'named.conf'),
      key +
        `controls { inet 127.0.0.1 port ${this.ports.rndc} allow { 127.0.0.1; } keys { "lab"; }; };\n` +
        options(
          'named',
          this.ports.named,
          `recursion yes; allow-recursion { 127.0.0.1; };
  response-policy { zone "${this.zone}" min-update-interval 0; } qname-wait-recurse no;`,
        ) +
        `zone "${this.zone}" { type primary; file "${this.rpzFile}"; allow-query { none; }; };\n` +
        `zone "com" { type primary; file "${dir}/com.zone"; };\n` +
        `zone "internal" { type primary; file "${dir}/internal.zone"; };\n`,
    );
    writeFileSync(
      path.join(dir, 'auth.conf'),
      `controls { };\n` +
        options('auth', this.ports.auth, 'recursion no;') +
        `zone "com" { type primary; file "${dir}/com.zone"; };\n`,
    );
    writeFileSync(
      path.join(dir, 'unbound.conf'),
      `server:
  interface: 127.0.0.1
  port: ${this.ports.unbound}
  do-ip6: no
  do-daemonize: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: ""
  module-config: "respip iterator"
  do-not-query-localhost: no
  domain-insecure: "com."
remote-control:
  control-enable: yes
  control-interface: ${dir}/unbound.ctl
  control-use-cert: no
stub-zone:
  name: "com."
  stub-addr: 127.0.0.1@${this.ports.auth}
rpz:
  name: "${this.zone}."
  zonefile: "${this.rpzFile}"
`,
    );
  }

  /** The zone file as the resolvers would load it now. */
  zoneText(): string {
    return readFileSync(this.rpzFile, 'utf8');
  }
}
