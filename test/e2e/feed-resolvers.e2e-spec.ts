import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { rawBody } from '#test/support/raw-body.js';
import { describeResolvers, dig, freePort } from '#test/support/resolvers.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

describeResolvers('the RPZ snapshot loaded into BIND (named) and Unbound', () => {
  let t: TestApp;
  let flow: RequestFlow;
  let mine: Awaited<ReturnType<typeof isp>>;
  let dir: string;
  const processes: ChildProcess[] = [];
  /** Each process's output (named -g logs to stderr). */
  const logs = new Map<string, string>();
  const ports = { rpzNamed: 0, auth: 0, unbound: 0 };
  const blocked = unprotected.domain();
  const free = unprotected.domain();
  const viaIp = unprotected.domain();
  const badIp = unprotected.ipv4();

  const writeRpz = async (): Promise<number> => {
    const res = await request(t.server)
      .get('/api/v1/feed/snapshot.rpz')
      .set('authorization', `Bearer ${mine.token}`)
      .buffer(true)
      .parse(rawBody)
      .expect(200);
    writeFileSync(path.join(dir, 'rpz.zone'), (res.body as Buffer).toString('utf8'));
    return Number(res.headers['x-feed-version']);
  };
  /** BIND's log of the resolver with the response policy zone (a file: named flushes it). */
  const namedLog = (): string => {
    try {
      return readFileSync(path.join(dir, `named-${ports.rpzNamed}.log`), 'utf8');
    } catch {
      return '';
    }
  };
  const waitFor = async (check: () => boolean): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('the resolver did not answer as expected in 10 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const start = (command: string, args: string[], log: string): ChildProcess => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    logs.set(log, '');
    const append = (c: Buffer): void => {
      logs.set(log, logs.get(log)! + c.toString());
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    processes.push(child);
    return child;
  };

  beforeAll(async () => {
    t = await createTestApp();
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
    mine = await isp(t.app);
    await flow.publish([mine.org.id], [blocked, badIp]);
    dir = mkdtempSync(path.join(tmpdir(), 'resolvers-'));
    chmodSync(dir, 0o755);
    ports.rpzNamed = await freePort();
    ports.auth = await freePort();
    ports.unbound = await freePort();
    // The names the tests ask for, served by an authoritative "com" zone.
    const zone =
      `$TTL 300\n@ IN SOA localhost. hostmaster.localhost. 1 3600 600 604800 300\n@ IN NS localhost.\n` +
      `${blocked}. A 198.18.0.1\nwww.${blocked}. A 198.18.0.1\n${free}. A 198.18.0.2\n${viaIp}. A ${badIp}\n`;
    writeFileSync(path.join(dir, 'com.zone'), zone);
    await writeRpz();
    const options = (port: number, extra: string) => `options {
  directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  pid-file "${dir}/named-${port}.pid";
  dnssec-validation no;
  ${extra}
};
logging {
  channel file_log { file "${dir}/named-${port}.log"; print-time yes; severity info; };
  category default { file_log; };
  category rpz { file_log; };
};\n`;
    // named: resolver with the response policy zone, authoritative for the test names.
    writeFileSync(
      path.join(dir, 'named.conf'),
      options(
        ports.rpzNamed,
        `recursion yes; allow-recursion { 127.0.0.1; }; response-policy { zone "rpz.test"; } qname-wait-recurse no;`,
      ) +
        `zone "rpz.test" { type primary; file "${dir}/rpz.zone"; allow-query { none; }; };\n` +
        `zone "com" { type primary; file "${dir}/com.zone"; };\n`,
    );
    // A plain authoritative server for Unbound to iterate to.
    writeFileSync(
      path.join(dir, 'auth.conf'),
      options(ports.auth, 'recursion no;') +
        `zone "com" { type primary; file "${dir}/com.zone"; };\n`,
    );
    writeFileSync(
      path.join(dir, 'unbound.conf'),
      `server:
  interface: 127.0.0.1
  port: ${ports.unbound}
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
stub-zone:
  name: "com."
  stub-addr: 127.0.0.1@${ports.auth}
rpz:
  name: "rpz.test."
  zonefile: "${dir}/rpz.zone"
`,
    );
    start('named', ['-f', '-c', path.join(dir, 'named.conf')], 'named.log');
    start('named', ['-f', '-c', path.join(dir, 'auth.conf')], 'auth.log');
    start('unbound', ['-d', '-c', path.join(dir, 'unbound.conf')], 'unbound.log');
    for (const port of [ports.rpzNamed, ports.unbound]) {
      await waitFor(() => dig(port, free).answers.length > 0);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const resolvers = () =>
    [
      ['named', ports.rpzNamed],
      ['unbound', ports.unbound],
    ] as const;

  it('answers NXDOMAIN for a blocked name and its subdomains, and for a name on a blocked address', async () => {
    for (const [name, port] of resolvers()) {
      expect({ name, status: dig(port, blocked).status }).toEqual({ name, status: 'NXDOMAIN' });
      expect({ name, status: dig(port, `www.${blocked}`).status }).toEqual({
        name,
        status: 'NXDOMAIN',
      });
      expect({ name, status: dig(port, viaIp).status }).toEqual({ name, status: 'NXDOMAIN' });
      expect({ name, answers: dig(port, free).answers }).toEqual({ name, answers: ['198.18.0.2'] });
    }
    await waitFor(() => namedLog().includes('rpz: rpz.test: reload done: success'));
    const log = namedLog();
    expect(log).not.toMatch(/invalid rpz/i);
  });

  it('resolves the name again after an unblock and a reload', async () => {
    await flow.publish([mine.org.id], [blocked], 'unblock');
    const version = await writeRpz();
    for (const child of processes) child.kill('SIGHUP');
    for (const [, port] of resolvers()) {
      await waitFor(() => dig(port, blocked).answers.includes('198.18.0.1'));
      expect(dig(port, `www.${blocked}`).answers).toEqual(['198.18.0.1']);
      expect(dig(port, viaIp).status).toBe('NXDOMAIN');
    }
    await waitFor(() => namedLog().includes(`serial ${version}`));
    expect(namedLog()).not.toMatch(/invalid rpz/i);
  }, 60_000);
});
