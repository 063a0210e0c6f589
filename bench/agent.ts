/**
 * What ISP agents cost the service (docs/performance.md, "Long polling"). Part 1: long polls of
 * the change feed.
 *
 *   npm run bench:agent                       # builds, then: node dist/bench/agent.js
 *   node dist/bench/agent.js [--agents 1000] [--isps 20] [--runs 3]
 *
 * With DATABASE_URL a scratch database `bench_<random>` is created on that server and dropped
 * at the end; without it an embedded PostgreSQL runs in a temporary folder, removed at the end.
 *
 * 1. The service runs as a process of its own (`node dist/src/main.js`, as `npm start`), with
 *    FEED_WAIT_MAX_PER_ORGANIZATION raised to agents / ISPs. Through its API: `--isps` ISPs,
 *    an API client each (client credentials token), an analyst and an approver.
 * 2. Each run: the service's idle RSS (median over 1 s after 2 s of quiet); then `--agents`
 *    long polls (`GET /feed/changes?after=<the ISP's next>&wait=30`), spread evenly over the
 *    ISPs, each on a keep-alive connection of its own (node:http), sent at once; once the
 *    service's `feed_change_waits` gauge says all are held, its RSS again (same window):
 *    (held − idle) / agents is the memory per held request. Then one blocking request of one
 *    value addressed to every ISP is approved through the API; from the approval's HTTP answer,
 *    the time until each long poll has its whole answer (each must be a 200 carrying that one
 *    change): median, 99th percentile and the last one (negative when the answers arrived
 *    before the approval's own: they are woken by the commit's NOTIFY); and the last one from
 *    sending the approval.
 *
 * Prints the figures, then one JSON object as the last line of stdout.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ApiClient } from '#bench/support/api-client.js';
import { fmt, measuredCode, median, quantile, round } from '#bench/support/figures.js';
import { scratchDatabase, sql } from '#bench/support/scratch-database.js';
import { idleRss, privateBuild, Service } from '#bench/support/service.js';

const { values: opts } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    isps: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
  },
});
const AGENTS = Number(opts.agents);
const ISPS = Number(opts.isps);
const RUNS = Number(opts.runs);
if (
  !Number.isSafeInteger(AGENTS) ||
  !Number.isSafeInteger(ISPS) ||
  !Number.isSafeInteger(RUNS) ||
  ISPS < 1 ||
  AGENTS < ISPS ||
  AGENTS > 10_000 ||
  RUNS < 1
) {
  console.error(
    'usage: node dist/bench/agent.js [--agents N ≤ 10000] [--isps N ≤ agents] [--runs N]',
  );
  process.exit(2);
}

const ADMIN_EMAIL = 'bench-admin@department.example';
const PASSWORD = randomBytes(18).toString('base64url');
const WAIT_S = 30;

const mb = (bytes: number): number => round(bytes / 1e6, 1);

interface Answered {
  status: number;
  body: string;
  at: number;
}

/** One GET on `agent` (a keep-alive connection per request in flight); its answer and when. */
function get(url: string, token: string, agent: http.Agent): Promise<Answered> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString('utf8'),
          at: performance.now(),
        }),
      );
    });
    req.on('error', reject);
  });
}

async function heldOnService(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const match = /^feed_change_waits (\d+)$/m.exec(text);
  return match ? Number(match[1]) : -1;
}

interface RunResult {
  idleRss: number;
  heldRss: number;
  bytesPerHeld: number;
  /**
   * From the approval's answer: when the median, the 99th percentile and the last agent had its
   * answer (negative: before the approval's own answer reached the client; the polls are woken
   * by the commit's NOTIFY, the approval answers after its commit).
   */
  medianMs: number;
  p99Ms: number;
  allMs: number;
  /** From sending the approval until the last agent had its answer. */
  allFromApproveSentMs: number;
  /** The approval's own round trip. */
  approveMs: number;
  /** From sending the polls until the service held them all. */
  holdAllMs: number;
}

async function main(): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  const code = measuredCode(['src', 'migrations']);
  const db = await scratchDatabase();
  const work = await mkdtemp(path.join(os.tmpdir(), 'threat-exchange-bench-agent-'));
  let service: Service | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  try {
    const root = await privateBuild(work);
    service = await Service.start(root, db.url, {
      logLevel: process.env.BENCH_LOG_LEVEL ?? 'error',
      adminEmail: ADMIN_EMAIL,
      password: PASSWORD,
      env: {
        FEED_WAIT_MAX_PER_ORGANIZATION: String(Math.ceil(AGENTS / ISPS)),
        AUTH_RATE_LIMIT_PER_MINUTE: '10000',
      },
    });
    const api = new ApiClient(service.base, PASSWORD);
    const [{ server_version: serverVersion }] = await sql<{ server_version: string }>(
      db.url,
      `SELECT current_setting('server_version') AS server_version`,
    );

    // ---- accounts, through the API
    const [{ organization_id: departmentId }] = await sql<{ organization_id: string }>(
      db.url,
      'SELECT organization_id FROM users WHERE email = $1',
      [ADMIN_EMAIL],
    );
    const accounts = await api.accounts(ADMIN_EMAIL, departmentId, run);
    const analyst = (await accounts.user('analyst')).token;
    const approver = (await accounts.user('approver')).token;
    const isps: { id: string; token: string; next: number }[] = [];
    for (let i = 0; i < ISPS; i++) {
      const { id, client } = await accounts.isp(String(i));
      const token = await api.clientToken(client.clientId, client.clientSecret);
      const head = await api.expect<{ next: number }>(
        200,
        'GET',
        '/api/v1/feed/changes?after=0',
        token,
      );
      isps.push({ id, token, next: head.next });
    }

    /** One request of one value to every ISP, approved; resolves at the approval's answer. */
    const publishToAll = async (
      n: number,
    ): Promise<{ value: string; approveSentAt: number; approvedAt: number }> => {
      const value = `agent-${run}-${n}.com`;
      const { id } = await api.expect<{ id: string }>(
        201,
        'POST',
        '/api/v1/blocking-requests',
        analyst,
        {
          documentNumber: `AGENT-${run}/${n}`,
          title: 'Benchmark request',
          legalBasis: 'Decree 53/2022/ND-CP, Article 21',
          category: 'botnet',
          severity: 'high',
          targetsAll: false,
          targetOrganizationIds: isps.map((i) => i.id),
        },
      );
      const route = `/api/v1/blocking-requests/${id}`;
      const version = async (): Promise<number> =>
        (await api.expect<{ version: number }>(200, 'GET', route, analyst)).version;
      await api.expect(201, 'POST', `${route}/items`, analyst, { values: [value] });
      await api.expect(200, 'POST', `${route}/submit`, analyst, { version: await version() });
      const approveVersion = await version();
      const approveSentAt = performance.now();
      await api.expect(200, 'POST', `${route}/approve`, approver, { version: approveVersion });
      return { value, approveSentAt, approvedAt: performance.now() };
    };

    const runs: RunResult[] = [];
    for (let r = 0; r < RUNS; r++) {
      const restingRss = await idleRss(service.pid, 2000, 1000);
      const sent = performance.now();
      const polls = Array.from({ length: AGENTS }, (_, i) => {
        const isp = isps[i % ISPS];
        return get(
          `${service!.base}/api/v1/feed/changes?after=${isp.next}&wait=${WAIT_S}`,
          isp.token,
          agent,
        ).then((answer) => ({ answer, isp }));
      });
      for (;;) {
        const held = await heldOnService(service.base);
        if (held === AGENTS) break;
        if (performance.now() - sent > 20_000) {
          throw new Error(`only ${held} of ${AGENTS} long polls held after 20 s`);
        }
        await sleep(50);
      }
      const holdAllMs = performance.now() - sent;
      const heldRss = await idleRss(service.pid, 500, 1000);
      const { value, approveSentAt, approvedAt } = await publishToAll(r);
      const answers = await Promise.all(polls);
      const delays: number[] = [];
      for (const { answer, isp } of answers) {
        const body = JSON.parse(answer.body) as {
          next: number;
          changes: { value: string }[];
        };
        if (answer.status !== 200 || body.changes.length !== 1 || body.changes[0].value !== value) {
          throw new Error(`a long poll answered ${answer.status}: ${answer.body.slice(0, 300)}`);
        }
        isp.next = Math.max(isp.next, body.next);
        delays.push(answer.at - approvedAt);
      }
      const result: RunResult = {
        idleRss: restingRss,
        heldRss,
        bytesPerHeld: Math.round((heldRss - restingRss) / AGENTS),
        medianMs: round(median(delays), 1),
        p99Ms: round(quantile(delays, 0.99), 1),
        allMs: round(Math.max(...delays), 1),
        allFromApproveSentMs: round(Math.max(...delays) + approvedAt - approveSentAt, 1),
        approveMs: round(approvedAt - approveSentAt, 1),
        holdAllMs: round(holdAllMs),
      };
      runs.push(result);
      console.log(
        `run ${r + 1}: ${fmt(AGENTS)} held in ${result.holdAllMs} ms; answered after the approval: median ${result.medianMs} ms, p99 ${result.p99Ms} ms, all ${result.allMs} ms (${result.allFromApproveSentMs} ms after sending the approval, which took ${result.approveMs} ms); RSS idle ${mb(restingRss)} MB, held ${mb(heldRss)} MB = ${fmt(result.bytesPerHeld)} bytes per held request`,
      );
    }

    const cpu = os.cpus()[0]?.model ?? 'unknown';
    const result = {
      benchmark: 'agent',
      part: 'long-poll',
      code,
      database: db.where,
      postgres: serverVersion,
      cpu,
      cores: os.cpus().length,
      ramGiB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      agents: AGENTS,
      isps: ISPS,
      waitS: WAIT_S,
      runs,
      allAnsweredMs: {
        median: round(median(runs.map((x) => x.allMs)), 1),
        max: round(Math.max(...runs.map((x) => x.allMs)), 1),
      },
      allFromApproveSentMs: {
        median: round(median(runs.map((x) => x.allFromApproveSentMs)), 1),
        max: round(Math.max(...runs.map((x) => x.allFromApproveSentMs)), 1),
      },
      bytesPerHeld: {
        median: Math.round(median(runs.map((x) => x.bytesPerHeld))),
        max: Math.max(...runs.map((x) => x.bytesPerHeld)),
      },
      loadAverage: { before: loadBefore, after: os.loadavg().map((x) => round(x, 2)) },
    };
    console.log(
      `\n${fmt(AGENTS)} long polls over ${ISPS} ISPs, ${RUNS} runs: every one answered ${result.allAnsweredMs.median} ms (median of runs) / ${result.allAnsweredMs.max} ms (worst run) after the approval's answer (${result.allFromApproveSentMs.median} / ${result.allFromApproveSentMs.max} ms after sending it); ${fmt(result.bytesPerHeld.median)} bytes of service RSS per held request (median of runs)`,
    );
    console.log(
      `code          commit ${code.commit}${code.uncommitted.length > 0 ? ` with uncommitted changes to ${code.uncommitted.join(', ')}` : ''}`,
    );
    console.log(`database      ${db.where} (PostgreSQL ${serverVersion})`);
    console.log(
      `machine       ${cpu}, ${result.cores} cores, ${result.ramGiB} GiB, Node ${result.node}`,
    );
    console.log(
      `load average  ${result.loadAverage.before.join(' ')} before, ${result.loadAverage.after.join(' ')} after (1, 5, 15 min)`,
    );
    console.log(JSON.stringify(result));
  } finally {
    agent.destroy();
    await service?.stop();
    await db.drop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
