/**
 * The ISP agent (agent/) against real resolvers (docs/performance.md, "The ISP agent").
 *
 *   npm run bench:agent                        # builds, then both parts of the agent benchmark
 *   node dist/bench/agent-sync.js [--approvals 20] [--rows 1000000] [--runs 2] [--skip-sync]
 *
 * With DATABASE_URL a scratch database on that server, else an embedded PostgreSQL (removed
 * at the end). The service runs as a process of its own (as `npm start`), from a private copy of
 * the build; BIND and Unbound run as in the tests (test/support/resolver-lab.ts).
 *
 * 1. Approval → NXDOMAIN: one agent follows the feed (`--wait 30`) and writes the zone both
 *    resolvers load (reload: `rndc reload` and `unbound-control auth_zone_reload`, proof by the
 *    version's TXT record at both). `--approvals` times, a request of one new name is published
 *    through the API; from the approval's HTTP answer, `dig`-equivalent queries (node:dns, one
 *    every 5 ms to each resolver) until both answer NXDOMAIN for the name and a subdomain; then
 *    until the Department has the receipt confirming it. Median and worst.
 * 2. First sync of `--rows` indicators: the ISP's feed seeded with SQL (as FeedWriter writes),
 *    then, alternating, `--runs` times each: `curl` writing the RPZ snapshot to a file (the
 *    physical limit of "getting the zone": the service's own snapshot speed), and the agent's
 *    first sync with `--once` and a fresh state (download, parse, render its zone and IP lists,
 *    fsync, rename; no reload). The ratio agent / curl. Then once, the agent's first sync into
 *    BIND: reload and proof of a zone of that size (how long BIND takes to load it).
 *
 * Prints the figures, then one JSON object as the last line of stdout.
 */
import 'reflect-metadata';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { ApiClient } from '#bench/support/api-client.js';
import { fmt, measuredCode, median, round } from '#bench/support/figures.js';
import { seed, type Kind } from '#bench/support/feed-seed.js';
import { scratchDatabase, sql } from '#bench/support/scratch-database.js';
import { privateBuild, Service } from '#bench/support/service.js';
import { ResolverLab, resolversInstalled } from '#bench/support/resolver-lab.js';

const { values: opts } = parseArgs({
  options: {
    approvals: { type: 'string', default: '20' },
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '2' },
    'skip-sync': { type: 'boolean', default: false },
  },
});
const APPROVALS = Number(opts.approvals);
const ROWS = Number(opts.rows);
const RUNS = Number(opts.runs);
if (
  !Number.isSafeInteger(APPROVALS) ||
  APPROVALS < 1 ||
  APPROVALS > 200 ||
  !Number.isSafeInteger(ROWS) ||
  ROWS < 1 ||
  ROWS > 5_000_000 ||
  !Number.isSafeInteger(RUNS) ||
  RUNS < 1
) {
  console.error('usage: node dist/bench/agent-sync.js [--approvals N] [--rows N] [--runs N]');
  process.exit(2);
}
if (!resolversInstalled()) {
  console.error(
    'BIND, Unbound and their tools are needed: apt-get install bind9 bind9-utils bind9-dnsutils unbound',
  );
  process.exit(2);
}

const ADMIN_EMAIL = 'bench-admin@department.example';
const PASSWORD = randomBytes(18).toString('base64url');
const AGENT = path.join(PROJECT_ROOT, 'agent', 'bin', 'threat-exchange-agent.js');

interface Agent {
  exited: Promise<number | null>;
  stop: () => Promise<void>;
  output: () => string;
}

/** The agent as a process of its own, with `args`, for the ISP API client `client`. */
function startAgent(
  base: string,
  client: { clientId: string; clientSecret: string },
  args: string[],
): Agent {
  const child = spawn(process.execPath, [AGENT, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      THREAT_EXCHANGE_URL: base,
      THREAT_EXCHANGE_CLIENT_ID: client.clientId,
      THREAT_EXCHANGE_CLIENT_SECRET: client.clientSecret,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (c: Buffer): void => {
    lines.push(c.toString('utf8'));
    if (lines.length > 400) lines.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    exited,
    output: () => lines.join(''),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The status of `name` (A) at `server` over UDP, as dig would see it. */
async function status(resolver: Resolver, name: string): Promise<string> {
  try {
    await resolver.resolve4(name);
    return 'NOERROR';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOTFOUND' ? 'NXDOMAIN' : String(code);
  }
}

function resolverAt(port: number): Resolver {
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  return resolver;
}

async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function main(): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  const code = measuredCode(['src', 'migrations', 'agent']);
  const db = await scratchDatabase();
  const work = await mkdtemp(path.join(os.tmpdir(), 'threat-exchange-bench-agent-'));
  let service: Service | undefined;
  let lab: ResolverLab | undefined;
  const agents: Agent[] = [];
  try {
    const root = await privateBuild(work);
    service = await Service.start(root, db.url, {
      logLevel: process.env.BENCH_LOG_LEVEL ?? 'error',
      adminEmail: ADMIN_EMAIL,
      password: PASSWORD,
      env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000' },
    });
    const api = new ApiClient(service.base, PASSWORD);
    const [{ organization_id: departmentId }] = await sql<{ organization_id: string }>(
      db.url,
      'SELECT organization_id FROM users WHERE email = $1',
      [ADMIN_EMAIL],
    );
    const accounts = await api.accounts(ADMIN_EMAIL, departmentId, run);
    const analyst = await accounts.user('analyst');
    const approver = await accounts.user('approver');
    const staff = { analyst: analyst.token, approver: approver.token };

    // ---- 1. approval → NXDOMAIN at both resolvers, and → the receipt
    const names = Array.from({ length: APPROVALS }, (_, i) => `n${i}-${run}.bench-agent.com`);
    lab = await ResolverLab.start(
      Object.fromEntries(names.map((n, i) => [n, `198.18.${i >> 8}.${(i & 255) + 1}`])),
    );
    const follower = await accounts.isp('follow');
    const state = path.join(work, 'follow-state.json');
    const agent = startAgent(service.base, follower.client, [
      '--rpz-file',
      lab.rpzFile,
      '--rpz-origin',
      lab.zone,
      '--state-file',
      state,
      '--reload-command',
      lab.reloadCommand,
      ...lab.addresses.flatMap((a) => ['--resolver', a]),
      '--wait',
      '30',
    ]);
    agents.push(agent);
    await until(
      async () => lab!.version('named') !== undefined && lab!.version('unbound') !== undefined,
      `the agent's first sync\n${agent.output()}`,
      60_000,
    );
    const resolvers = [resolverAt(lab.ports.named), resolverAt(lab.ports.unbound)];
    const blocked = async (name: string): Promise<boolean> => {
      const answers = await Promise.all(
        resolvers.flatMap((r) => [status(r, name), status(r, `www.${name}`)]),
      );
      return answers.every((s) => s === 'NXDOMAIN');
    };
    const receipts = async (): Promise<number> =>
      (
        await sql<{ n: number }>(
          db.url,
          'SELECT count(*)::int AS n FROM feed_receipts WHERE organization_id = $1 AND assignments_confirmed > 0',
          [follower.id],
        )
      )[0].n;
    const toNxdomain: number[] = [];
    const toReceipt: number[] = [];
    for (const [i, name] of names.entries()) {
      const before = await receipts();
      // Approval's answer → NXDOMAIN: the clock starts when the approve call has answered.
      const published = api.publish(staff, follower.id, `BENCH-AGENT-${run}/${i}`, [name]);
      await published;
      const t0 = performance.now();
      await until(() => blocked(name), `NXDOMAIN for ${name}\n${agent.output()}`, 30_000);
      toNxdomain.push(performance.now() - t0);
      await until(async () => (await receipts()) > before, `the receipt for ${name}`, 30_000);
      toReceipt.push(performance.now() - t0);
      await sleep(200);
    }
    await agent.stop();
    await lab.stop();
    lab = undefined;
    const approvals = {
      approvals: APPROVALS,
      toNxdomainMs: {
        median: round(median(toNxdomain)),
        worst: round(Math.max(...toNxdomain)),
        best: round(Math.min(...toNxdomain)),
      },
      toReceiptMs: { median: round(median(toReceipt)), worst: round(Math.max(...toReceipt)) },
    };
    console.log(
      `approval → NXDOMAIN at BIND and Unbound (${APPROVALS} approvals): median ${approvals.toNxdomainMs.median} ms, worst ${approvals.toNxdomainMs.worst} ms; → receipt: median ${approvals.toReceiptMs.median} ms, worst ${approvals.toReceiptMs.worst} ms`,
    );

    // ---- 2. first sync of ROWS indicators
    let firstSync: Record<string, unknown> | undefined;
    if (!opts['skip-sync']) {
      const big = await accounts.isp('sync');
      const anchor = await api.publish(staff, big.id, `BENCH-SYNC-${run}/0`, [`anchor-${run}.com`]);
      const offsets: Record<Kind, number> = { domain: 0, ipv4: 0, ipv6: 0, cidr: 0 };
      const seeded = await seed(
        db.url,
        ROWS,
        offsets,
        { org: big.id, request: anchor, creator: analyst.id },
        `bench-agent-${run}`,
      );
      console.log(`seeded ${fmt(ROWS)} indicators in ${seeded.seconds} s`);
      const token = await api.clientToken(big.client.clientId, big.client.clientSecret);
      const curl = async (): Promise<{ ms: number; bytes: number }> => {
        const file = path.join(work, 'curl.rpz');
        const t0 = performance.now();
        const done = spawnSync(
          'curl',
          [
            '-sS',
            '--fail',
            '-H',
            `authorization: Bearer ${token}`,
            '-o',
            file,
            `${service!.base}/api/v1/feed/snapshot.rpz`,
          ],
          { encoding: 'utf8' },
        );
        if (done.status !== 0) throw new Error(`curl failed: ${done.stderr}`);
        const ms = performance.now() - t0;
        const { size } = await stat(file);
        await rm(file);
        return { ms, bytes: size };
      };
      const agentOnce = async (
        extra: string[],
        zoneFile?: string,
      ): Promise<{ ms: number; bytes: number }> => {
        const dir = await mkdtemp(path.join(work, 'sync-'));
        const zone = zoneFile ?? path.join(dir, 'rpz.zone');
        const t0 = performance.now();
        const once = startAgent(service!.base, big.client, [
          '--once',
          '--rpz-file',
          zone,
          '--ip-list-file',
          path.join(dir, 'ips.txt'),
          '--state-file',
          path.join(dir, 'state.json'),
          ...extra,
        ]);
        const exitCode = await once.exited;
        const ms = performance.now() - t0;
        if (exitCode !== 0) throw new Error(`the agent's first sync failed: ${once.output()}`);
        const { size } = await stat(zone);
        await rm(dir, { recursive: true });
        return { ms, bytes: size };
      };
      const curls: { ms: number; bytes: number }[] = [];
      const syncs: { ms: number; bytes: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        curls.push(await curl());
        syncs.push(await agentOnce(['--reload-command', 'true']));
      }
      const curlMs = Math.min(...curls.map((c) => c.ms));
      const syncMs = Math.min(...syncs.map((s) => s.ms));
      // Into BIND: the zone of ROWS entries reloaded and proved.
      lab = await ResolverLab.start({ [`probe-${run}.com`]: '198.18.255.1' });
      const intoBind = await agentOnce(
        [
          '--rpz-origin',
          lab.zone,
          '--reload-command',
          lab.reloadCommand,
          '--resolver',
          lab.addresses[0],
          '--proof-timeout',
          '300',
        ],
        lab.rpzFile,
      ).catch((error: unknown) => {
        console.error(String(error));
        return { ms: NaN, bytes: 0 };
      });
      firstSync = {
        rows: ROWS,
        curlSnapshotMs: { best: round(curlMs), runs: curls.map((c) => round(c.ms)) },
        curlBytes: curls[0].bytes,
        agentFirstSyncMs: { best: round(syncMs), runs: syncs.map((s) => round(s.ms)) },
        agentZoneBytes: syncs[0].bytes,
        ratioAgentToCurl: round(syncMs / curlMs, 2),
        agentFirstSyncIntoBindMs: round(intoBind.ms),
      };
      console.log(
        `first sync of ${fmt(ROWS)}: curl ${round(curlMs)} ms (${fmt(curls[0].bytes)} bytes), agent ${round(syncMs)} ms (${fmt(syncs[0].bytes)} bytes of zone) = ${round(syncMs / curlMs, 2)}× curl; into BIND with reload and proof ${round(intoBind.ms)} ms`,
      );
    }
    const loadAfter = os.loadavg().map((x) => round(x, 2));
    console.log(
      `machine ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores; load ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after; ${db.where}`,
    );
    console.log(
      JSON.stringify({
        date: new Date().toISOString(),
        code,
        database: db.where,
        node: process.version,
        cores: os.cpus().length,
        loadAverage: { before: loadBefore, after: loadAfter },
        approvals,
        firstSync,
      }),
    );
  } finally {
    for (const a of agents) await a.stop();
    await lab?.stop();
    await service?.stop();
    await db.drop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
