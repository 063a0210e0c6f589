/**
 * The audit trail's cost and its verification speed, on a real PostgreSQL (docs/performance.md,
 * "Audit trail").
 *
 *   npm run bench:audit                       # builds, then: node dist/bench/audit.js
 *   node dist/bench/audit.js [--indicators 20000] [--isps 20] [--items 100] [--concurrency 8]
 *                            [--runs 3] [--receipt-isps 5] [--import-batch 1000]
 *                            [--events 1000000] [--verify-runs 3]
 *                            [--skip-workload] [--skip-verify] [--profile] [--server-jit]
 *
 * With DATABASE_URL a scratch database `bench_<random>` is created on that server for each run
 * and dropped after it; without it an embedded PostgreSQL runs in a temporary folder, removed
 * after it. JIT is turned off on the scratch database (ALTER DATABASE … SET jit = off) unless
 * `--server-jit`: PostgreSQL otherwise JIT-compiles the publication's INSERT into the change
 * log (its cost estimate is inflated by the never-analyzed feed_version row and temp table),
 * about a second per publication under the feed lock, which hides everything else in that phase.
 *
 * 1. Workload, `--runs` times with the audit trail on and as many off, alternating (on, off, on,
 *    off…), each run on a fresh scratch database with the service as a process of its own
 *    (bench/audit-service.ts: createApp as main.ts; "off" swaps the AuditService for a no-op in
 *    that harness, no production switch). Accounts first, untimed: an analyst, an approver, an
 *    auditor, `--isps` ISPs with one operator each. Then four timed phases, each with
 *    `--concurrency` clients in parallel taking tasks from one queue:
 *    - import: `--indicators` generated values (domains 80 %, IPv4 20 %, none protected) in
 *      imports of `--import-batch` rows (POST /imports, then GET /imports/:id every 10 ms until
 *      it succeeded);
 *    - publish: requests of `--items` of those values, each addressed to every ISP: create,
 *      add items, submit (analyst), approve (approver; publication, one assignment per ISP);
 *    - confirm: every ISP but the last `--receipt-isps` lists its pending assignments, then
 *      acknowledges and confirms (applied) each; the tasks in a shuffled order (the same on
 *      every run);
 *    - receipt: the last `--receipt-isps` ISPs each pull snapshot.txt and send a feed receipt
 *      with its SHA-256, which confirms all their assignments in one transaction.
 *    Afterwards every assignment must be applied and every request completed; with the trail on
 *    the chain is read back and walked once the sealer chained everything (dense, every digest
 *    and link valid).
 *    Ratio per phase = median time off ÷ median time on (throughput on ÷ off; target ≥ 0.8×).
 *    `--profile` adds, in the runs with the trail on, the time of each audited transaction's
 *    write (its INSERT into audit_pending) and of each sealer round (events chained, time the
 *    head was held) and, in every run, samples of pg_stat_activity every 20 ms (what the
 *    service's sessions wait on).
 * 2. Verification of `--events` chained events: generated in JavaScript with chain.ts (shapes of
 *    the workload's events: acknowledgements, confirmations, requests…), COPYed into
 *    audit_events as the owner on a fresh scratch database, audit_head set. Then:
 *    (a) the chain walked in memory, `--verify-runs` times (ChainWalk over all the generated
 *        rows: JCS, two SHA-256, two comparisons per event);
 *    then, with only the first 100,000 rows kept (a heap of a million rows slows every major GC)
 *    and the service started on that database, `--verify-runs` repetitions of, in turn:
 *    (a') the same walk over the kept rows, cycled to `--events`;
 *    (floor) node:crypto SHA-256 alone over their pre-serialized canonical bytes and a
 *        32+32-byte link per event, cycled the same way;
 *    JCS alone (eventBytes), cycled the same way;
 *    (c0) COPY (SELECT … ORDER BY seq) TO STDOUT of the whole table, read and discarded;
 *    (c) the same COPY parsed and walked with ChainWalk;
 *    (b) GET /api/v1/audit/verify of the whole chain (reported as absent if the route is not
 *        there), with GET /health/live sent one after another meanwhile (their latency: how
 *        long verifying keeps the service from answering anything else).
 *
 * Prints the figures, then one JSON object as the last line of stdout.
 */
import 'reflect-metadata';
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import {
  ChainWalk,
  chainHash,
  eventBytes,
  GENESIS_HASH,
  type AuditEventFields,
} from '#src/audit/trail/chain.js';
import { eventFields, type AuditEventColumns } from '#src/audit/trail/event-columns.js';
import { createDataSource } from '#src/platform/database/data-source.js';
import { runMigrations } from '#src/platform/database/migrations.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import type { AuditTimes } from '#bench/audit-service.js';
import { ApiClient } from '#bench/support/api-client.js';
import {
  fmt,
  inParallel,
  measuredCode,
  median,
  quantile,
  round,
  sum,
} from '#bench/support/figures.js';
import { prng } from '#bench/support/prng.js';
import { scratchDatabase, sql } from '#bench/support/scratch-database.js';

const { values: opts } = parseArgs({
  options: {
    indicators: { type: 'string', default: '20000' },
    isps: { type: 'string', default: '20' },
    items: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    'receipt-isps': { type: 'string' },
    'import-batch': { type: 'string', default: '1000' },
    events: { type: 'string', default: '1000000' },
    'verify-runs': { type: 'string', default: '3' },
    'skip-workload': { type: 'boolean', default: false },
    'skip-verify': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'server-jit': { type: 'boolean', default: false },
  },
});
const INDICATORS = Number(opts.indicators);
const ISPS = Number(opts.isps);
const ITEMS = Number(opts.items);
const CONCURRENCY = Number(opts.concurrency);
const RUNS = Number(opts.runs);
const RECEIPT_ISPS = Number(opts['receipt-isps'] ?? Math.floor(ISPS / 4));
const IMPORT_BATCH = Number(opts['import-batch']);
const EVENTS = Number(opts.events);
const VERIFY_RUNS = Number(opts['verify-runs']);
const PROFILE = opts.profile;
const SERVER_JIT = opts['server-jit'];
const int = (x: number, min: number, max: number): boolean =>
  Number.isSafeInteger(x) && x >= min && x <= max;
if (
  !int(INDICATORS, 1, 1_000_000) ||
  !int(ISPS, 1, 500) ||
  !int(ITEMS, 1, 10_000) ||
  !int(CONCURRENCY, 1, 256) ||
  !int(RUNS, 1, 50) ||
  !int(RECEIPT_ISPS, 0, ISPS) ||
  !int(IMPORT_BATCH, 1, 1_000_000) ||
  !int(EVENTS, 1, 20_000_000) ||
  !int(VERIFY_RUNS, 1, 50)
) {
  console.error(
    'usage: node dist/bench/audit.js [--indicators N] [--isps N] [--items N] [--concurrency N] [--runs N] [--receipt-isps N] [--import-batch N] [--events N] [--verify-runs N] [--skip-workload] [--skip-verify] [--profile]',
  );
  process.exit(2);
}

const ADMIN_EMAIL = 'bench-admin@department.example';
const PASSWORD = randomBytes(18).toString('base64url');
const KEY_ENCRYPTION_KEY = randomBytes(32).toString('base64');
const SAMPLE_MS = 20;
/** Rows kept in memory for the floor, JCS and (a') measurements of the verification. */
const WINDOW = 100_000;

/** `n` unique canonical values that no built-in protected list covers: the same every run. */
function generateValues(n: number): string[] {
  const random = prng(20261128);
  const tlds = ['com', 'net', 'org', 'io', 'vn', 'info'];
  const values: string[] = [];
  let domains = 0;
  let addresses = 0;
  for (let i = 0; i < n; i++) {
    if (random() < 0.8) {
      const label = Math.floor(random() * 36 ** 5).toString(36);
      values.push(`${label}-${(domains++).toString(36)}.${tlds[domains % tlds.length]}`);
    } else {
      const k = addresses++;
      values.push(`45.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`);
    }
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// The service (bench/audit-service.ts) as a process of its own

/** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** utime + stime of a process, in ms; 0 when it is gone or /proc is absent. */
function processCpuMs(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (in parentheses, which may hold spaces): utime is the 14th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU of the service and of every postgres process of the machine (those alive at each read). */
function cpuNow(servicePid: number | undefined): {
  service: number;
  postgres: Map<string, number>;
} {
  const postgres = new Map<string, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    // not Linux
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') {
        postgres.set(pid, processCpuMs(pid));
      }
    } catch {
      // gone meanwhile
    }
  }
  return { service: servicePid === undefined ? 0 : processCpuMs(servicePid), postgres };
}

/** CPU used between two reads; postgres processes that started meanwhile count from 0. */
function cpuSpent(before: ReturnType<typeof cpuNow>, after: ReturnType<typeof cpuNow>): PhaseCpu {
  let postgres = 0;
  for (const [pid, ms] of after.postgres) postgres += ms - (before.postgres.get(pid) ?? 0);
  return { serviceMs: round(after.service - before.service), postgresMs: round(postgres) };
}

class Service {
  private readonly output: string[] = [];
  private constructor(
    readonly child: ChildProcess,
    readonly base: string,
  ) {}

  static async start(databaseUrl: string, mode: 'on' | 'off', profile: boolean): Promise<Service> {
    // e.g. BENCH_SERVICE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof': where its time goes
    const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = fork(path.join(PROJECT_ROOT, 'dist', 'bench', 'audit-service.js'), [], {
      cwd: PROJECT_ROOT,
      execArgv: nodeArgs,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NODE_ENV: 'production',
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
        DATABASE_URL: databaseUrl,
        KEY_ENCRYPTION_KEY,
        ADMIN_EMAIL,
        ADMIN_PASSWORD: PASSWORD,
        ACCESS_TOKEN_TTL_S: '86400',
        EXPIRY_INTERVAL_S: '0',
        // ~30 logins a run from one address; the default (20 a minute) would refuse some.
        AUTH_RATE_LIMIT_PER_MINUTE: '10000',
        // Every client may be importing at once (the default is 2, then 429).
        IMPORT_MAX_CONCURRENT: String(Math.min(64, CONCURRENCY)),
        BENCH_AUDIT: mode,
        BENCH_AUDIT_PROFILE: profile ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const output: string[] = [];
    const keep = (chunk: Buffer): void => {
      output.push(chunk.toString('utf8'));
      if (output.length > 200) output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the service did not start')), 120_000);
      child.on('message', (m: { port?: number }) => {
        if (m.port !== undefined) {
          clearTimeout(timer);
          resolve(m.port);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the service exited with ${code}: ${output.join('')}`));
      });
    });
    const service = new Service(child, `http://127.0.0.1:${port}`);
    service.output.push(...output);
    return service;
  }

  /** The audit times so far (the service must have been started with the profile on). */
  stats(): Promise<AuditTimes | null> {
    return new Promise((resolve) => {
      const listen = (m: { stats?: AuditTimes | null }): void => {
        if ('stats' in m) {
          this.child.off('message', listen);
          resolve(m.stats ?? null);
        }
      };
      this.child.on('message', listen);
      this.child.send('stats');
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// pg_stat_activity samples (--profile)

type Activity = Record<string, number>;

/** What the database's client sessions are doing, every SAMPLE_MS, until stopped. */
function sampleActivity(url: string): () => Promise<{ samples: number; sessions: Activity }> {
  const counts: Activity = {};
  let samples = 0;
  let stopped = false;
  let failure: Error | undefined;
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  const loop = (async () => {
    await client.connect();
    while (!stopped) {
      const { rows } = await client.query<{
        state: string | null;
        wait_event_type: string | null;
        wait_event: string | null;
        query: string;
      }>(
        `SELECT state, wait_event_type, wait_event, left(query, 200) AS query
           FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND backend_type = 'client backend'`,
      );
      samples++;
      for (const r of rows) {
        let what: string;
        if (r.state === 'idle') what = 'idle (no transaction)';
        else if (r.state === 'idle in transaction') what = 'idle in transaction (service side)';
        else if (r.wait_event_type === 'Lock') {
          what = r.query.includes('audit_head')
            ? `lock wait: audit head (${r.wait_event})`
            : `lock wait: other (${r.wait_event}) ${r.query.replace(/\s+/g, ' ').slice(0, 60)}`;
        } else if (r.wait_event_type === null) what = 'active, running';
        else if (r.wait_event_type === 'Client') what = `active, ${r.wait_event}`;
        else what = `active, ${r.wait_event_type}:${r.wait_event}`;
        counts[what] = (counts[what] ?? 0) + 1;
      }
      await sleep(SAMPLE_MS);
    }
    await client.end();
  })().catch((error: unknown) => {
    failure = error instanceof Error ? error : new Error(String(error));
  });
  return async () => {
    stopped = true;
    await loop;
    if (failure !== undefined) throw failure;
    const sessions: Activity = {};
    for (const [k, v] of Object.entries(counts).sort((a, b) => b[1] - a[1])) {
      sessions[k] = round(v / Math.max(1, samples), 2);
    }
    return { samples, sessions };
  };
}

// ---------------------------------------------------------------------------------------------
// 1. The workload

type PhaseName = 'import' | 'publish' | 'confirm' | 'receipt';
const PHASES: PhaseName[] = ['import', 'publish', 'confirm', 'receipt'];

/** CPU time spent in a phase, in ms: the service's process and every `postgres` process. */
interface PhaseCpu {
  serviceMs: number;
  postgresMs: number;
}

interface Phase {
  ms: number;
  /** On Linux (/proc): where the phase's CPU went (the machine's 2 cores are the limit). */
  cpu?: PhaseCpu;
  requests: number;
  /** What the phase moved: rows imported, requests published, assignments confirmed. */
  units: number;
  /** Audit events appended in the phase (0 with the trail off). */
  events: number;
  appends?: AppendSummary;
  activity?: { samples: number; sessions: Activity };
  /** Import: POSTs answered 429; receipt: POSTs answered 422 "never served"; retried. */
  retries?: number;
}

interface AppendSummary {
  /** Audited transactions and their events. */
  writes: number;
  events: number;
  /** The INSERT into audit_pending, per audited transaction. */
  writeMs: Stat;
  /** Sealer rounds that chained something, the events of each, and each round's time. */
  rounds: number;
  roundEvents: Stat;
  roundMs: Stat;
  /** Sum of the rounds' time ÷ phase time: how busy the head (the sealer) was. */
  headBusy: number;
}

interface Stat {
  mean: number;
  p50: number;
  p99: number;
  total: number;
}

function stat(xs: number[]): Stat {
  return {
    mean: round(sum(xs) / Math.max(1, xs.length), 3),
    p50: round(quantile(xs, 0.5), 3),
    p99: round(quantile(xs, 0.99), 3),
    total: round(sum(xs)),
  };
}

function appendSummary(before: AuditTimes, after: AuditTimes, phaseMs: number): AppendSummary {
  const slice = (key: 'writeMs' | 'roundMs' | 'roundEvents'): number[] =>
    after[key].slice(before[key].length);
  const rounds = slice('roundMs');
  return {
    writes: after.writes - before.writes,
    events: after.events - before.events,
    writeMs: stat(slice('writeMs')),
    rounds: rounds.length,
    roundEvents: stat(slice('roundEvents')),
    roundMs: stat(rounds),
    headBusy: round(sum(rounds) / phaseMs, 3),
  };
}

interface Run {
  mode: 'on' | 'off';
  order: number;
  database: string;
  phases: Record<PhaseName, Phase>;
  overall: { ms: number; requests: number };
  /** The machine's 1-minute load average before and after the run (other work shares it). */
  load: [number, number];
  /** With the trail on: the events read back and walked. */
  chain?: { events: number; valid: boolean; meanCanonicalBytes: number };
}

interface Staff {
  admin: string;
  analyst: string;
  approver: string;
  departmentId: string;
  isps: { id: string; token: string }[];
}

async function migrate(url: string): Promise<void> {
  const migrator = await createDataSource(url, {
    DB_POOL_MAX: 1,
    DB_CONNECT_TIMEOUT_MS: 10_000,
    DB_STATEMENT_TIMEOUT_MS: 0,
  });
  await migrator.initialize();
  try {
    await runMigrations(migrator);
  } finally {
    await migrator.destroy();
  }
}

async function accounts(api: ApiClient, url: string): Promise<Staff> {
  const admin = await api.login(ADMIN_EMAIL);
  const [{ organization_id: departmentId }] = await sql<{ organization_id: string }>(
    url,
    `SELECT organization_id FROM users WHERE email = $1`,
    [ADMIN_EMAIL],
  );
  const analyst = await api.user(admin, departmentId, 'analyst@department.example', ['analyst']);
  const approver = await api.user(admin, departmentId, 'approver@department.example', ['approver']);
  const isps: { id: string; token: string }[] = [];
  for (let i = 0; i < ISPS; i++) {
    const org = await api.expect<{ id: string }>(201, 'POST', '/api/v1/organizations', admin, {
      kind: 'isp',
      name: `Bench ISP ${i + 1}`,
      shortCode: `BENCH-ISP-${i + 1}`,
    });
    const token = await api.user(admin, org.id, `operator-${i + 1}@isp-${i + 1}.example`, [
      'isp_operator',
    ]);
    isps.push({ id: org.id, token });
  }
  return { admin, analyst, approver, departmentId, isps };
}

/**
 * Settings of the scratch database: JIT off unless --server-jit (docs/performance.md: the
 * publication's change-log INSERT is JIT-compiled for about a second otherwise); with
 * BENCH_PG_LOG_MIN_DURATION_MS, slow statements go to the server's log, and with
 * BENCH_PG_AUTO_EXPLAIN=1 their plans too (auto_explain, as a superuser).
 */
async function databaseSettings(url: string): Promise<void> {
  const [{ name }] = await sql<{ name: string }>(url, 'SELECT current_database() AS name');
  const settings: string[] = [];
  if (!SERVER_JIT) settings.push('jit = off');
  const logMin = process.env.BENCH_PG_LOG_MIN_DURATION_MS;
  if (logMin) {
    settings.push(`log_min_duration_statement = ${Number(logMin)}`);
    if (process.env.BENCH_PG_AUTO_EXPLAIN === '1') {
      settings.push(
        `session_preload_libraries = 'auto_explain'`,
        `auto_explain.log_min_duration = ${Number(logMin)}`,
        'auto_explain.log_analyze = on',
        'auto_explain.log_nested_statements = on',
      );
    }
  }
  for (const setting of settings) await sql(url, `ALTER DATABASE "${name}" SET ${setting}`);
}

/** Events written so far: chained (the head) and committed but not chained yet. */
async function headSeq(url: string): Promise<number> {
  const [{ n }] = await sql<{ n: string }>(
    url,
    'SELECT (SELECT seq FROM audit_head) + (SELECT count(*) FROM audit_pending) AS n',
  );
  return Number(n);
}

/** Waits until the service's sealer chained every committed event. */
async function chained(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Number((await sql<{ n: string }>(url, 'SELECT count(*) AS n FROM audit_pending'))[0].n)) {
    if (Date.now() > deadline) throw new Error('events are still waiting to be chained after 30 s');
    await sleep(100);
  }
}

/** Reads the whole chain back and walks it, once the service's sealer chained everything. */
async function walkChain(url: string): Promise<NonNullable<Run['chain']>> {
  await chained(url);
  const rows = await sql<
    AuditEventColumns & { seq: string; at: Date; digest: Buffer; hash: Buffer }
  >(url, 'SELECT * FROM audit_events ORDER BY seq');
  const walk = new ChainWalk();
  let bytes = 0;
  let valid = true;
  for (const r of rows) {
    const fields = eventFields(r, r.at.toISOString());
    bytes += Buffer.byteLength(eventBytes(fields));
    const broken = walk.event(Number(r.seq), fields, r.digest, r.hash);
    if (broken) {
      console.error(`chain broken: ${broken.message}`);
      valid = false;
      break;
    }
  }
  const head = Number((await sql<{ seq: string }>(url, 'SELECT seq FROM audit_head'))[0].seq);
  if (walk.size !== head) valid = false;
  return { events: rows.length, valid, meanCanonicalBytes: round(bytes / rows.length) };
}

async function workloadRun(
  mode: 'on' | 'off',
  order: number,
  values: string[],
  confirmOrder: number[],
): Promise<Run> {
  const db = await scratchDatabase();
  let service: Service | undefined;
  const load0 = os.loadavg()[0];
  try {
    await migrate(db.url);
    await databaseSettings(db.url);
    service = await Service.start(db.url, mode, PROFILE && mode === 'on');
    const api = new ApiClient(service.base, PASSWORD);
    const staff = await accounts(api, db.url);
    const requestCount = Math.ceil(values.length / ITEMS);
    const confirmers = staff.isps.slice(0, ISPS - RECEIPT_ISPS);
    const receivers = staff.isps.slice(ISPS - RECEIPT_ISPS);
    await sql(db.url, 'CHECKPOINT').catch(() => undefined);

    const phases = {} as Record<PhaseName, Phase>;
    const timed = async (name: PhaseName, units: number, work: () => Promise<void>) => {
      const before = PROFILE && mode === 'on' ? await service!.stats() : null;
      const seq0 = await headSeq(db.url);
      const stopSampling = PROFILE ? sampleActivity(db.url) : undefined;
      const requests0 = api.requests;
      const cpu0 = cpuNow(service!.child.pid);
      const t0 = performance.now();
      try {
        await work();
      } catch (error) {
        await stopSampling?.().catch(() => undefined);
        throw error;
      }
      const ms = performance.now() - t0;
      const cpu = cpuSpent(cpu0, cpuNow(service!.child.pid));
      const activity = await stopSampling?.();
      const after = before ? await service!.stats() : null;
      phases[name] = {
        ms: round(ms, 1),
        cpu,
        requests: api.requests - requests0,
        units,
        events: (await headSeq(db.url)) - seq0,
        ...(before && after ? { appends: appendSummary(before, after, ms) } : {}),
        ...(activity ? { activity } : {}),
      };
      process.stderr.write(
        `run ${order} ${mode}: ${name} ${fmt(round(ms))} ms, ${phases[name].requests} requests\n`,
      );
    };

    // ---- import
    let importRetries = 0;
    const batches: string[] = [];
    for (let i = 0; i < values.length; i += IMPORT_BATCH) {
      batches.push(`${values.slice(i, i + IMPORT_BATCH).join('\n')}\n`);
    }
    await timed('import', values.length, () =>
      inParallel(batches, CONCURRENCY, async (body) => {
        // A job reads `succeeded` a moment before its slot is free: a client that starts the next
        // one at once may get a 429 (IMPORT_MAX_CONCURRENT), and retries.
        let job: { id: string };
        for (;;) {
          const res = await api.call<{ id: string }>(
            'POST',
            '/api/v1/imports?mode=reject',
            staff.analyst,
            body,
            'text/plain',
          );
          if (res.status === 202) {
            job = res.body;
            break;
          }
          if (res.status !== 429) throw new Error(`import answered ${res.status}: ${res.text}`);
          importRetries++;
          await sleep(20);
        }
        for (;;) {
          const state = await api.expect<{ status: string; report: { created: number } | null }>(
            200,
            'GET',
            `/api/v1/imports/${job.id}`,
            staff.analyst,
          );
          if (state.status === 'succeeded') break;
          if (state.status === 'failed') throw new Error(`import ${job.id} failed`);
          await sleep(10);
        }
      }),
    );

    phases.import.retries = importRetries;

    // ---- publish
    const requestIds: string[] = new Array<string>(requestCount);
    const targets = staff.isps.map((i) => i.id);
    await timed('publish', requestCount, () =>
      inParallel([...Array(requestCount).keys()], CONCURRENCY, async (r) => {
        const created = await api.expect<{ id: string; version: number }>(
          201,
          'POST',
          '/api/v1/blocking-requests',
          staff.analyst,
          {
            documentNumber: `${r + 1}/BENCH-ATTT`,
            title: `Benchmark request ${r + 1}`,
            legalBasis: 'Decree 53/2022/ND-CP, Article 21',
            category: 'botnet',
            severity: 'high',
            targetsAll: false,
            targetOrganizationIds: targets,
          },
        );
        const route = `/api/v1/blocking-requests/${created.id}`;
        const items = await api.expect<{ version: number; added: number }>(
          201,
          'POST',
          `${route}/items`,
          staff.analyst,
          { values: values.slice(r * ITEMS, (r + 1) * ITEMS) },
        );
        const submitted = await api.expect<{ version: number }>(
          200,
          'POST',
          `${route}/submit`,
          staff.analyst,
          { version: items.version },
        );
        const published = await api.expect<{ status: string }>(
          200,
          'POST',
          `${route}/approve`,
          staff.approver,
          { version: submitted.version },
        );
        if (published.status !== 'published') throw new Error(`${created.id} not published`);
        requestIds[r] = created.id;
      }),
    );

    // ---- confirm: list, then acknowledge + confirm each assignment
    const pending: { token: string; ids: string[] }[] = confirmers.map((isp) => ({
      token: isp.token,
      ids: [],
    }));
    await timed('confirm', confirmers.length * requestCount, async () => {
      await inParallel(pending, CONCURRENCY, async (isp) => {
        let cursor: string | null = null;
        do {
          const page: { items: { id: string }[]; nextCursor: string | null } = await api.expect(
            200,
            'GET',
            `/api/v1/assignments?status=pending&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
            isp.token,
          );
          isp.ids.push(...page.items.map((a) => a.id));
          cursor = page.nextCursor;
        } while (cursor);
        if (isp.ids.length !== requestCount) {
          throw new Error(`an ISP has ${isp.ids.length} pending assignments, not ${requestCount}`);
        }
      });
      const tasks = confirmOrder
        .filter((k) => k < pending.length * requestCount)
        .map((k) => ({
          token: pending[k % pending.length].token,
          id: pending[k % pending.length].ids[Math.floor(k / pending.length)],
        }));
      await inParallel(tasks, CONCURRENCY, async ({ token, id }) => {
        await api.expect(200, 'POST', `/api/v1/assignments/${id}/acknowledge`, token, {});
        await api.expect(201, 'POST', `/api/v1/assignments/${id}/confirmations`, token, {
          status: 'applied',
          appliedAt: new Date().toISOString(),
          mechanism: 'rpz',
          evidence: 'RPZ zone reloaded',
        });
      });
    });

    // ---- receipt: a snapshot pull and one receipt per ISP
    let receiptRetries = 0;
    await timed('receipt', receivers.length * requestCount, () =>
      inParallel(receivers, CONCURRENCY, async (isp) => {
        const snapshot = await api.call<undefined>('GET', '/api/v1/feed/snapshot.txt', isp.token);
        if (snapshot.status !== 200) throw new Error(`snapshot answered ${snapshot.status}`);
        const body = {
          version: Number(snapshot.headers.get('x-feed-version')),
          format: 'txt',
          appliedAt: new Date().toISOString(),
          mechanism: 'rpz',
          sha256: createHash('sha256').update(snapshot.text).digest('hex'),
        };
        // FeedPullRecorder.flush() returns at once while another flush (another ISP's receipt,
        // or the timer) is still writing this ISP's pull: the receipt is then refused as "never
        // served" (422). Retried, counted.
        let receipt: { hashCheck: string; assignmentsConfirmed: number };
        for (let attempt = 1; ; attempt++) {
          const res = await api.call<typeof receipt>(
            'POST',
            '/api/v1/feed/receipts',
            isp.token,
            body,
          );
          if (res.status === 201) {
            receipt = res.body;
            break;
          }
          if (res.status !== 422 || !res.text.includes('never served') || attempt === 50) {
            throw new Error(`receipt answered ${res.status}: ${res.text}`);
          }
          receiptRetries++;
          await sleep(20);
        }
        if (receipt.hashCheck !== 'matched' || receipt.assignmentsConfirmed !== requestCount) {
          throw new Error(`receipt: ${JSON.stringify(receipt)}`);
        }
      }),
    );

    phases.receipt.retries = receiptRetries;

    // ---- what must be true afterwards
    const states = await sql<{ status: string; n: string }>(
      db.url,
      `SELECT status, count(*) AS n FROM assignments GROUP BY status
       UNION ALL SELECT 'request ' || status, count(*) FROM blocking_requests GROUP BY status`,
    );
    const count = (s: string): number => Number(states.find((x) => x.status === s)?.n ?? 0);
    if (
      count('applied') !== ISPS * requestCount ||
      count('request completed') !== requestCount ||
      states.length !== 2
    ) {
      throw new Error(`unexpected end state: ${JSON.stringify(states)}`);
    }
    const chain = mode === 'on' ? await walkChain(db.url) : undefined;
    if (chain && !chain.valid) throw new Error('the chain does not verify');
    return {
      mode,
      order,
      database: db.where,
      phases,
      load: [round(load0, 2), round(os.loadavg()[0], 2)],
      overall: {
        ms: round(sum(PHASES.map((p) => phases[p].ms)), 1),
        requests: sum(PHASES.map((p) => phases[p].requests)),
      },
      ...(chain ? { chain } : {}),
    };
  } finally {
    await service?.stop();
    await db.drop();
  }
}

interface ModeFigures {
  medianMs: number;
  minMs: number;
  maxMs: number;
  medianRequestsPerSecond: number;
  medianUnitsPerSecond: number;
}

function modeFigures(
  runs: Run[],
  pick: (r: Run) => { ms: number; requests: number; units?: number },
) {
  const ms = runs.map((r) => pick(r).ms);
  const rps = runs.map((r) => pick(r).requests / (pick(r).ms / 1000));
  const ups = runs.map((r) => (pick(r).units ?? 0) / (pick(r).ms / 1000));
  return {
    medianMs: round(median(ms), 1),
    minMs: round(Math.min(...ms), 1),
    maxMs: round(Math.max(...ms), 1),
    medianRequestsPerSecond: round(median(rps), 1),
    medianUnitsPerSecond: round(median(ups), 1),
  } satisfies ModeFigures;
}

function compare(runs: Run[], pick: (r: Run) => { ms: number; requests: number; units?: number }) {
  const on = runs.filter((r) => r.mode === 'on');
  const off = runs.filter((r) => r.mode === 'off');
  const onF = modeFigures(on, pick);
  const offF = modeFigures(off, pick);
  // Pairs in the order they ran (on i, off i): the ratio of each pair.
  const pairs = on.map((r, i) => (off[i] ? pick(off[i]).ms / pick(r).ms : NaN));
  return {
    on: onF,
    off: offF,
    ratio: round(offF.medianMs / onF.medianMs, 3),
    pairRatios: pairs.filter(Number.isFinite).map((x) => round(x, 3)),
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Verification of a long chain

const ACTIONS_PER_REQUEST = 45; // 4 request events, 20 acknowledgements, 20 confirmations, 1 completion

/** An event shaped like the workload's, the `i`-th of the chain. */
function syntheticEvent(i: number, t0: number, ids: string[]): AuditEventFields {
  const k = i % ACTIONS_PER_REQUEST;
  const request = ids[Math.floor(i / ACTIONS_PER_REQUEST) % ids.length];
  const at = new Date(t0 + i).toISOString();
  const common = { at, requestId: randomUUID(), clientIp: '127.0.0.1' };
  const department = { actorType: 'user' as const, organizationId: ids[0] };
  if (k < 4) {
    const action = ['create', 'add_items', 'submit', 'approve'][k];
    const summary: Record<string, unknown>[] = [
      { documentNumber: `${i}/BENCH-ATTT`, title: `Benchmark request ${i}` },
      { operation: 'block', added: 100, indicatorsCreated: 0 },
      { from: 'draft', to: 'pending_approval', items: 100 },
      {
        from: 'pending_approval',
        to: 'published',
        targets: 20,
        items: 100,
        feed: { fromVersion: i * 100 + 1, toVersion: i * 100 + 100 },
      },
    ];
    return {
      ...common,
      ...department,
      actorId: ids[1 + (k === 3 ? 1 : 0)],
      roles: [k === 3 ? 'approver' : 'analyst'],
      action: `blocking_request.${action}`,
      objectType: 'blocking_request',
      objectId: request,
      summary: summary[k],
    };
  }
  const isp = (k - 4) % 20;
  const isp_ = { actorType: 'user' as const, actorId: ids[3 + isp], organizationId: ids[23 + isp] };
  if (k < 24) {
    return {
      ...common,
      ...isp_,
      roles: ['isp_operator'],
      action: 'assignment.acknowledge',
      objectType: 'assignment',
      objectId: randomUUID(),
      summary: { requestId: request, from: 'pending', to: 'acknowledged' },
    };
  }
  if (k < 44) {
    return {
      ...common,
      ...isp_,
      roles: ['isp_operator'],
      action: 'assignment.confirm',
      objectType: 'assignment',
      objectId: randomUUID(),
      summary: {
        confirmationId: randomUUID(),
        requestId: request,
        from: 'acknowledged',
        to: 'applied',
        correction: false,
        receiptId: null,
        items: 0,
      },
    };
  }
  return {
    ...common,
    ...isp_,
    roles: ['isp_operator'],
    action: 'blocking_request.complete',
    objectType: 'blocking_request',
    objectId: request,
    summary: { from: 'published', to: 'completed' },
  };
}

/** COPY text format of one field. */
function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(
        /[\\\t\n\r]/g,
        (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!,
      )
    : value;
}

const UNESCAPE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
function fromCopyText(value: string): string | null {
  if (value === '\\N') return null;
  return value.includes('\\') ? value.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? c) : value;
}

/** The SELECT of the streaming verification: every hashed field as text, in seq order. */
const VERIFY_SELECT = `SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         actor_type, actor_id, organization_id, array_to_json(roles), action, object_type,
         object_id, summary, request_id, client_ip, encode(digest, 'hex'), encode(hash, 'hex')
    FROM audit_events ORDER BY seq`;

/** Streams the chain out of PostgreSQL with COPY and walks it (or only counts bytes). */
async function streamChain(
  url: string,
  walk: boolean,
): Promise<{ ms: number; events: number; bytes: number; head: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const t0 = performance.now();
    const stream = client.query(copyTo(`COPY (${VERIFY_SELECT}) TO STDOUT`));
    const chain = new ChainWalk();
    let bytes = 0;
    let events = 0;
    let rest = '';
    const line = (text: string): void => {
      events++;
      if (!walk) return;
      const f = text.split('\t');
      const seq = Number(f[0]);
      const fields: AuditEventFields = {
        at: f[1],
        actorType: f[2] as AuditEventFields['actorType'],
        actorId: fromCopyText(f[3]),
        organizationId: fromCopyText(f[4]),
        roles: JSON.parse(fromCopyText(f[5])!) as string[],
        action: fromCopyText(f[6])!,
        objectType: fromCopyText(f[7])!,
        objectId: fromCopyText(f[8]),
        summary: JSON.parse(fromCopyText(f[9])!) as Record<string, unknown>,
        requestId: fromCopyText(f[10]),
        clientIp: fromCopyText(f[11]),
      };
      const broken = chain.event(seq, fields, Buffer.from(f[12], 'hex'), Buffer.from(f[13], 'hex'));
      if (broken) throw new Error(`the stored chain does not verify: ${broken.message}`);
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (!walk) {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) events++;
        continue;
      }
      const text = rest + chunk.toString('utf8');
      let start = 0;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
        line(text.slice(start, i));
        start = i + 1;
      }
      rest = text.slice(start);
    }
    return {
      ms: performance.now() - t0,
      events,
      bytes,
      head: walk ? chain.head.toString('hex') : '',
    };
  } finally {
    await client.end();
  }
}

interface VerifyResult {
  database: string;
  events: number;
  meanCanonicalBytes: number;
  generateMs: number;
  copyInMs: number;
  tableBytes: number;
  /** events/s, each repetition. */
  sha256Floor: number[];
  /** eventBytes (RFC 8785) alone over the rows in memory. */
  jcs: number[];
  inMemory: number[];
  /** (a'): the same walk over the first WINDOW rows, cycled. */
  inWindow: number[];
  copyRead: { eventsPerSecond: number; megabytesPerSecond: number }[];
  streaming: number[];
  endpoint:
    | {
        status: number;
        ms: number;
        eventsPerSecond: number | null;
        /** GET /health/live answered meanwhile, one after another: their latency. */
        live: { answers: number; p50Ms: number; p99Ms: number; maxMs: number };
        body: string;
      }[]
    | null;
}

async function verifyBench(): Promise<VerifyResult> {
  const db = await scratchDatabase();
  let service: Service | undefined;
  try {
    await migrate(db.url);
    await databaseSettings(db.url);
    // ---- the chain, in memory
    const t0 = performance.now();
    const ids = Array.from({ length: 64 }, () => randomUUID());
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    const events: AuditEventFields[] = new Array<AuditEventFields>(EVENTS);
    const digests = Buffer.alloc(EVENTS * 32);
    const hashes = Buffer.alloc(EVENTS * 32);
    let previous: Buffer = GENESIS_HASH;
    let canonicalBytes = 0;
    for (let i = 0; i < EVENTS; i++) {
      const e = syntheticEvent(i, start, ids);
      events[i] = e;
      const bytes = Buffer.from(eventBytes(e));
      canonicalBytes += bytes.length;
      const digest = createHash('sha256').update(bytes).digest();
      previous = chainHash(previous, digest);
      digest.copy(digests, i * 32);
      previous.copy(hashes, i * 32);
    }
    const generateMs = performance.now() - t0;
    const head = previous.toString('hex');

    // ---- into audit_events (as the owner: INSERT is allowed), then the head
    const rows = function* (): Generator<string> {
      let parts: string[] = [];
      for (let i = 0; i < EVENTS; i++) {
        const e = events[i];
        parts.push(
          [
            String(i + 1),
            e.at,
            e.actorType,
            copyText(e.actorId),
            copyText(e.organizationId),
            copyText(`{${e.roles.join(',')}}`),
            copyText(e.action),
            copyText(e.objectType),
            copyText(e.objectId),
            copyText(JSON.stringify(e.summary)),
            copyText(e.requestId),
            copyText(e.clientIp),
            `\\\\x${digests.toString('hex', i * 32, i * 32 + 32)}`,
            `\\\\x${hashes.toString('hex', i * 32, i * 32 + 32)}`,
          ].join('\t') + '\n',
        );
        if (parts.length === 2000) {
          yield parts.join('');
          parts = [];
        }
      }
      if (parts.length > 0) yield parts.join('');
    };
    const owner = new pg.Client({ connectionString: db.url });
    await owner.connect();
    let copyInMs: number;
    try {
      const t1 = performance.now();
      await pipeline(
        Readable.from(rows()),
        owner.query(
          copyFrom(
            `COPY audit_events (seq, at, actor_type, actor_id, organization_id, roles, action,
               object_type, object_id, summary, request_id, client_ip, digest, hash) FROM STDIN`,
          ),
        ),
      );
      await owner.query(`UPDATE audit_head SET seq = $1, hash = $2`, [
        EVENTS,
        Buffer.from(head, 'hex'),
      ]);
      copyInMs = performance.now() - t1;
      await owner.query('VACUUM ANALYZE audit_events');
      await owner.query('CHECKPOINT');
    } finally {
      await owner.end();
    }
    const [{ bytes: tableBytes }] = await sql<{ bytes: string }>(
      db.url,
      `SELECT pg_total_relation_size('audit_events') AS bytes`,
    );

    // ---- (a) the chain walked over all the rows in memory
    const inMemory: number[] = [];
    for (let run = 0; run < VERIFY_RUNS; run++) {
      const t3 = performance.now();
      const walk = new ChainWalk();
      for (let i = 0; i < EVENTS; i++) {
        const broken = walk.event(
          i + 1,
          events[i],
          digests.subarray(i * 32, i * 32 + 32),
          hashes.subarray(i * 32, i * 32 + 32),
        );
        if (broken) throw new Error(broken.message);
      }
      inMemory.push(EVENTS / ((performance.now() - t3) / 1000));
      if (walk.head.toString('hex') !== head) throw new Error('in-memory walk: another head');
    }
    // The first WINDOW rows are kept; the others are let go (a heap of 1M rows makes every
    // major GC slower), and the same work is timed over the window, cycled to EVENTS.
    const size = Math.min(EVENTS, WINDOW);
    const window = events.slice(0, size);
    events.length = 0;
    const windowBytes = window.map((e) => Buffer.from(eventBytes(e)));

    // The service, for (b); starting it appends its own events after the generated ones.
    service = await Service.start(db.url, 'on', false);
    const api = new ApiClient(service.base, PASSWORD);
    const admin = await api.login(ADMIN_EMAIL);
    const authority = await api.expect<{ id: string }>(
      201,
      'POST',
      '/api/v1/organizations',
      admin,
      { kind: 'authority', name: 'Bench authority', shortCode: 'BENCH-AUTH' },
    );
    const auditor = await api.user(admin, authority.id, 'auditor@authority.example', ['auditor']);
    await chained(db.url);
    const [stored] = await sql<{ seq: string; hash: Buffer }>(
      db.url,
      'SELECT seq, hash FROM audit_head',
    );
    const total = Number(stored.seq);
    const storedHead = stored.hash.toString('hex');

    // Each repetition runs every measurement once, so that the machine's load, which changes
    // from minute to minute, weighs on all of them alike.
    const sha256Floor: number[] = [];
    const jcs: number[] = [];
    const inWindow: number[] = [];
    const copyRead: VerifyResult['copyRead'] = [];
    const streaming: number[] = [];
    let endpoint: VerifyResult['endpoint'] = [];
    for (let run = 0; run < VERIFY_RUNS; run++) {
      // ---- (floor) SHA-256 alone over the pre-serialized canonical bytes, and the link
      let link: Buffer = GENESIS_HASH;
      const t2 = performance.now();
      for (let i = 0; i < EVENTS; i++) {
        const digest = createHash('sha256')
          .update(windowBytes[i % size])
          .digest();
        link = createHash('sha256').update(link).update(digest).digest();
      }
      sha256Floor.push(EVENTS / ((performance.now() - t2) / 1000));

      // ---- JCS alone
      let length = 0;
      const t5 = performance.now();
      for (let i = 0; i < EVENTS; i++) length += eventBytes(window[i % size]).length;
      jcs.push(EVENTS / ((performance.now() - t5) / 1000));
      if (length === 0) throw new Error('no canonical bytes');

      // ---- (a') the chain walked over the window, cycled
      const t6 = performance.now();
      let walk = new ChainWalk();
      for (let i = 0; i < EVENTS; i++) {
        const k = i % size;
        if (k === 0) walk = new ChainWalk();
        const broken = walk.event(
          k + 1,
          window[k],
          digests.subarray(k * 32, k * 32 + 32),
          hashes.subarray(k * 32, k * 32 + 32),
        );
        if (broken) throw new Error(broken.message);
      }
      inWindow.push(EVENTS / ((performance.now() - t6) / 1000));

      // ---- (c0) COPY read alone, (c) COPY parsed and walked
      const raw = await streamChain(db.url, false);
      if (raw.events !== total) throw new Error(`COPY read ${raw.events} rows, not ${total}`);
      copyRead.push({
        eventsPerSecond: round(raw.events / (raw.ms / 1000)),
        megabytesPerSecond: round(raw.bytes / 1e6 / (raw.ms / 1000), 1),
      });
      const walked = await streamChain(db.url, true);
      if (walked.events !== total || walked.head !== storedHead) {
        throw new Error('the streamed walk did not reach the head');
      }
      streaming.push(walked.events / (walked.ms / 1000));

      // ---- (b) the endpoint, if it exists; meanwhile GET /health/live one after another, to
      // see how long the verification keeps the service from answering anything else.
      if (endpoint === null) continue;
      let verifying = true;
      const liveMs: number[] = [];
      const probing = (async () => {
        while (verifying) {
          const t = performance.now();
          await new Promise<void>((resolve, reject) => {
            http
              .get(`${service!.base}/health/live`, (r) => {
                r.resume();
                r.on('end', resolve);
                r.on('error', reject);
              })
              .on('error', reject);
          });
          liveMs.push(performance.now() - t);
          await sleep(10);
        }
      })();
      const t4 = performance.now();
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get(
          `${service!.base}/api/v1/audit/verify`,
          { headers: { authorization: `Bearer ${auditor}` } },
          (r) => {
            const parts: Buffer[] = [];
            r.on('data', (c: Buffer) => parts.push(c));
            r.on('error', reject);
            r.on('end', () =>
              resolve({ status: r.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }),
            );
          },
        );
        req.on('error', reject);
      });
      const ms = performance.now() - t4;
      verifying = false;
      await probing;
      if (res.status === 404) {
        endpoint = null;
        continue;
      }
      if (res.status === 200) {
        const answer = JSON.parse(res.body) as { valid: boolean; events: number };
        if (!answer.valid || answer.events !== total) {
          throw new Error(`the endpoint did not verify the chain: ${res.body.slice(0, 500)}`);
        }
      }
      endpoint.push({
        status: res.status,
        ms: round(ms),
        eventsPerSecond: res.status === 200 ? round(total / (ms / 1000)) : null,
        live: {
          answers: liveMs.length,
          p50Ms: round(quantile(liveMs, 0.5), 1),
          p99Ms: round(quantile(liveMs, 0.99), 1),
          maxMs: round(Math.max(...liveMs), 1),
        },
        body: res.body.slice(0, 300),
      });
    }
    return {
      database: db.where,
      events: EVENTS,
      meanCanonicalBytes: round(canonicalBytes / EVENTS, 1),
      generateMs: round(generateMs),
      copyInMs: round(copyInMs),
      tableBytes: Number(tableBytes),
      sha256Floor: sha256Floor.map((x) => round(x)),
      jcs: jcs.map((x) => round(x)),
      inMemory: inMemory.map((x) => round(x)),
      inWindow: inWindow.map((x) => round(x)),
      copyRead,
      streaming: streaming.map((x) => round(x)),
      endpoint,
    };
  } finally {
    await service?.stop();
    await db.drop();
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const code = measuredCode(['src', 'migrations', 'bench']);
  const server = process.env.DATABASE_URL
    ? (
        await sql<{ v: string }>(
          process.env.DATABASE_URL,
          `SELECT current_setting('server_version') AS v`,
        )
      )[0].v
    : 'embedded';
  const cpus = os.cpus();
  const started = new Date().toISOString();
  console.log(
    `code          ${code.commit}${code.uncommitted.length ? ` + uncommitted ${code.uncommitted.join(', ')}` : ''}`,
  );
  console.log(
    `machine       ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, ${round(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, PostgreSQL ${server}, JIT ${SERVER_JIT ? 'as the server sets it' : 'off'}`,
  );

  let workload: Record<string, unknown> | undefined;
  if (!opts['skip-workload']) {
    const values = generateValues(INDICATORS);
    const requestCount = Math.ceil(INDICATORS / ITEMS);
    const confirmTasks = (ISPS - RECEIPT_ISPS) * requestCount;
    const shuffle = prng(7);
    const confirmOrder = [...Array(confirmTasks).keys()];
    for (let i = confirmOrder.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [confirmOrder[i], confirmOrder[j]] = [confirmOrder[j], confirmOrder[i]];
    }
    console.log(
      `workload      ${fmt(INDICATORS)} indicators in imports of ${fmt(IMPORT_BATCH)}, ${fmt(requestCount)} requests of ${ITEMS} items to ${ISPS} ISPs (${ISPS - RECEIPT_ISPS} confirm one by one, ${RECEIPT_ISPS} by receipt), ${CONCURRENCY} clients`,
    );
    const runs: Run[] = [];
    for (let i = 0; i < RUNS * 2; i++) {
      const mode = i % 2 === 0 ? 'on' : 'off';
      const run = await workloadRun(mode, i + 1, values, confirmOrder);
      runs.push(run);
      const p = run.phases;
      console.log(
        `run ${String(i + 1).padStart(2)} ${mode.padEnd(3)}  ` +
          PHASES.map((n) => `${n} ${fmt(round(p[n].ms))} ms`).join(', ') +
          ` = ${fmt(round(run.overall.ms))} ms, ${fmt(run.overall.requests)} requests, load ${run.load.join(' → ')}` +
          (run.chain ? `; chain of ${fmt(run.chain.events)} events valid` : '') +
          (p.import.retries || p.receipt.retries
            ? `; retried: ${p.import.retries ?? 0} imports (429), ${p.receipt.retries ?? 0} receipts (422)`
            : ''),
      );
      if (PROFILE) {
        for (const n of PHASES) {
          const a = p[n].appends;
          if (a && a.writes > 0) {
            console.log(
              `  ${n.padEnd(8)} writes ${fmt(a.writes)} (${fmt(a.events)} events): insert mean ${a.writeMs.mean} ms (p99 ${a.writeMs.p99}); sealer rounds ${fmt(a.rounds)}, ${a.roundEvents.mean} events each, ${a.roundMs.mean} ms each (p99 ${a.roundMs.p99}); head busy ${round(a.headBusy * 100)} % of the phase`,
            );
          }
          const act = p[n].activity;
          if (act) {
            console.log(
              `  ${n.padEnd(8)} sessions: ${Object.entries(act.sessions)
                .slice(0, 8)
                .map(([k, v]) => `${k} ${v}`)
                .join('; ')}`,
            );
          }
        }
      }
    }
    const summary: Record<string, ReturnType<typeof compare>> = {};
    for (const n of PHASES) summary[n] = compare(runs, (r) => r.phases[n]);
    summary.overall = compare(runs, (r) => r.overall);
    const events = runs.find((r) => r.mode === 'on')?.phases;
    console.log(
      'phase      on: median ms (min–max)         off: median ms (min–max)        ratio (pairs)                 requests/s on / off   events (on)',
    );
    for (const [name, s] of Object.entries(summary)) {
      const ev =
        name === 'overall'
          ? events && sum(PHASES.map((n) => events[n].events))
          : events?.[name as PhaseName].events;
      console.log(
        `${name.padEnd(10)} ${fmt(s.on.medianMs).padStart(9)} (${fmt(s.on.minMs)}–${fmt(s.on.maxMs)})`.padEnd(
          44,
        ) +
          `${fmt(s.off.medianMs).padStart(9)} (${fmt(s.off.minMs)}–${fmt(s.off.maxMs)})`.padEnd(
            32,
          ) +
          `${s.ratio}× (${s.pairRatios.join(', ')})`.padEnd(30) +
          `${fmt(s.on.medianRequestsPerSecond)} / ${fmt(s.off.medianRequestsPerSecond)}`.padEnd(
            22,
          ) +
          `${ev === undefined ? '' : fmt(ev)}`,
      );
    }
    console.log(`target        ≥ 0.8× (throughput with the audit trail on ÷ off)`);
    // Where the CPU went (2 cores are the limit here): median per request, each mode.
    const perRequest = (mode: 'on' | 'off', n: PhaseName, key: keyof PhaseCpu): number =>
      round(
        quantile(
          runs
            .filter((r) => r.mode === mode && r.phases[n].cpu)
            .map((r) => r.phases[n].cpu![key] / Math.max(1, r.phases[n].requests)),
          0.5,
        ),
        3,
      );
    console.log('CPU ms per request (median of runs): service on / off, postgres on / off');
    for (const n of PHASES) {
      console.log(
        `${n.padEnd(10)} service ${perRequest('on', n, 'serviceMs')} / ${perRequest('off', n, 'serviceMs')}, postgres ${perRequest('on', n, 'postgresMs')} / ${perRequest('off', n, 'postgresMs')}`,
      );
    }
    workload = {
      indicators: INDICATORS,
      importBatch: IMPORT_BATCH,
      isps: ISPS,
      receiptIsps: RECEIPT_ISPS,
      itemsPerRequest: ITEMS,
      requests: requestCount,
      concurrency: CONCURRENCY,
      runs,
      summary,
    };
  }

  let verify: Record<string, unknown> | undefined;
  if (!opts['skip-verify']) {
    const v = await verifyBench();
    const best = (xs: number[]): number => Math.max(...xs);
    const med = (xs: number[]): number => round(median(xs));
    const streamingMedian = med(v.streaming);
    const inMemoryMedian = med(v.inMemory);
    console.log(
      `verify        ${fmt(v.events)} events (${v.meanCanonicalBytes} canonical bytes each on average), generated in ${fmt(v.generateMs)} ms, COPY in ${fmt(v.copyInMs)} ms, table ${fmt(round(v.tableBytes / 1e6))} MB`,
    );
    const windowMedian = med(v.inWindow);
    console.log(
      `  (a) in memory   ${v.inMemory.map(fmt).join(', ')} events/s (ChainWalk over all the rows: JCS, SHA-256, compare)`,
    );
    console.log(
      `  (a') window     ${v.inWindow.map(fmt).join(', ')} events/s (the same over ${fmt(Math.min(WINDOW, v.events))} rows, cycled)`,
    );
    console.log(
      `  SHA-256 floor   ${v.sha256Floor.map(fmt).join(', ')} events/s (node:crypto: the canonical bytes, then 32+32 bytes)`,
    );
    console.log(`  JCS alone       ${v.jcs.map(fmt).join(', ')} events/s (eventBytes)`);
    console.log(
      `  (c0) COPY read  ${v.copyRead.map((c) => `${fmt(c.eventsPerSecond)} events/s (${c.megabytesPerSecond} MB/s)`).join(', ')}`,
    );
    console.log(
      `  (c) COPY+walk   ${v.streaming.map(fmt).join(', ')} events/s = ${round(streamingMedian / inMemoryMedian, 3)}× of (a), ${round(streamingMedian / windowMedian, 3)}× of (a'), medians`,
    );
    if (v.endpoint === null)
      console.log('  (b) endpoint    GET /api/v1/audit/verify: no such route (404)');
    else {
      for (const e of v.endpoint) {
        console.log(
          `  (b) endpoint    ${e.status} in ${fmt(e.ms)} ms${e.eventsPerSecond === null ? '' : ` = ${fmt(e.eventsPerSecond)} events/s = ${round(e.eventsPerSecond / inMemoryMedian, 3)}× of (a), ${round(e.eventsPerSecond / windowMedian, 3)}× of (a')`}; meanwhile ${fmt(e.live.answers)} GET /health/live: p50 ${e.live.p50Ms} ms, p99 ${e.live.p99Ms} ms, max ${e.live.maxMs} ms: ${e.body.slice(0, 120)}`,
        );
      }
    }
    verify = {
      ...v,
      medians: {
        sha256Floor: med(v.sha256Floor),
        jcs: med(v.jcs),
        inMemory: inMemoryMedian,
        inWindow: windowMedian,
        copyRead: med(v.copyRead.map((c) => c.eventsPerSecond)),
        streaming: streamingMedian,
      },
      best: { inMemory: round(best(v.inMemory)), streaming: round(best(v.streaming)) },
      ratios: {
        inMemoryToFloor: round(inMemoryMedian / median(v.sha256Floor), 3),
        streamingToInMemory: round(streamingMedian / inMemoryMedian, 3),
        streamingToWindow: round(streamingMedian / median(v.inWindow), 3),
        inWindowToFloor: round(median(v.inWindow) / median(v.sha256Floor), 3),
      },
    };
  }

  console.log(
    JSON.stringify({
      date: started,
      code,
      database: process.env.DATABASE_URL
        ? `DATABASE_URL server (PostgreSQL ${server})`
        : 'embedded',
      node: process.version,
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      ramGiB: round(os.totalmem() / 2 ** 30, 1),
      jit: SERVER_JIT ? 'server setting' : 'off (scratch database)',
      ...(workload ? { workload } : {}),
      ...(verify ? { verify } : {}),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
