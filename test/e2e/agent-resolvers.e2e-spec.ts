import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type pg from 'pg';
import request from 'supertest';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { Factories } from '#test/support/factories.js';
import { adminClient, eventually } from '#test/support/faults.js';
import { departmentStaff, RequestFlow, unprotected } from '#test/support/requests.js';
import {
  describeResolvers,
  dig,
  freePort,
  ResolverLab,
  sleep,
  until,
} from '#test/support/resolvers.js';
import { instanceEnv, ServiceProcess } from '#test/support/service-process.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const AGENT = path.join(PROJECT_ROOT, 'agent', 'bin', 'threat-exchange-agent.js');

/** One run of the agent (node agent/bin/threat-exchange-agent.js) and its JSON log lines. */
class AgentProcess {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly child: ChildProcess,
    private readonly name: string,
  ) {
    let buffered = '';
    const take = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        this.raw.push(line);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line (a reload command's output, say)
        }
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', (c: Buffer) => this.raw.push(c.toString('utf8')));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  output(): string {
    return `agent ${this.name}:\n${this.raw.join('\n')}`;
  }
}

/**
 * The ISP agent (agent/, issue 18) against real resolvers: the API as a process of its own
 * (the built service, as `npm start` runs it) on the test database, BIND and Unbound loading
 * the zone the agent writes. Requests are published through an in-process app on the same
 * database; the service wakes on PostgreSQL's notification like any other instance.
 */
describeResolvers('the ISP agent with BIND and Unbound', () => {
  let t: TestApp;
  let db: pg.Client;
  let flow: RequestFlow;
  let lab: ResolverLab;
  let service: ServiceProcess;
  let serviceEnv: Record<string, string>;
  let base: string;
  let org: { id: string };
  let client: { clientId: string; secret: string };
  let work: string;
  const agents: AgentProcess[] = [];
  /** Names of the `com` zone, each resolving to its own address until it is blocked. */
  const names = Array.from({ length: 12 }, () => unprotected.domain());
  const addressOf = (name: string): string => `198.18.1.${names.indexOf(name) + 1}`;
  let next = 0;
  const fresh = (): string => names[next++];

  const agent = (name: string, args: string[]): AgentProcess => {
    const child = spawn(
      process.execPath,
      [
        AGENT,
        '--rpz-file',
        lab.rpzFile,
        '--rpz-origin',
        lab.zone,
        '--state-file',
        path.join(work, 'agent-state.json'),
        '--status-file',
        path.join(work, 'agent-status.json'),
        ...lab.addresses.flatMap((a) => ['--resolver', a]),
        '--proof-timeout',
        '20',
        ...args,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          THREAT_EXCHANGE_URL: base,
          THREAT_EXCHANGE_CLIENT_ID: client.clientId,
          THREAT_EXCHANGE_CLIENT_SECRET: client.secret,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const run = new AgentProcess(child, name);
    agents.push(run);
    return run;
  };
  const follow = (name: string, extra: string[] = []): AgentProcess =>
    agent(name, ['--reload-command', lab.reloadCommand, '--wait', '30', ...extra]);
  const once = async (name: string, reload = lab.reloadCommand): Promise<AgentProcess> => {
    const run = agent(name, ['--once', '--reload-command', reload]);
    await run.exited;
    return run;
  };

  const receipts = async (): Promise<
    { version: string; format: string; hash_check: string; evidence: string }[]
  > =>
    (
      await db.query<{ version: string; format: string; hash_check: string; evidence: string }>(
        `SELECT version, format, hash_check, evidence FROM feed_receipts
          WHERE organization_id = $1 ORDER BY created_at`,
        [org.id],
      )
    ).rows;
  const assignmentStatus = async (requestId: string): Promise<string> =>
    (
      await db.query<{ status: string }>(
        'SELECT status FROM assignments WHERE request_id = $1 AND organization_id = $2',
        [requestId, org.id],
      )
    ).rows[0].status;
  const blockedEverywhere = (name: string): boolean =>
    (['named', 'unbound'] as const).every(
      (r) =>
        dig(lab.port(r), name).status === 'NXDOMAIN' &&
        dig(lab.port(r), `www.${name}`).status === 'NXDOMAIN',
    );
  const resolvesEverywhere = (name: string): boolean =>
    (['named', 'unbound'] as const).every((r) =>
      dig(lab.port(r), name).answers.includes(addressOf(name)),
    );
  const startService = async (): Promise<void> => {
    service = ServiceProcess.start(serviceEnv);
    await service.listening();
  };

  beforeAll(async () => {
    t = await createTestApp();
    db = await adminClient();
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
    const make = new Factories(t.app);
    org = await make.organization('isp');
    client = await make.apiClient(org as never);
    work = mkdtempSync(path.join(tmpdir(), 'agent-'));
    lab = await ResolverLab.start(Object.fromEntries(names.map((n) => [n, addressOf(n)])));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    serviceEnv = instanceEnv(String(port));
    await startService();
  }, 90_000);

  afterEach(async () => {
    for (const run of agents) {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill('SIGTERM');
        await run.exited;
      }
    }
    agents.length = 0;
  });

  afterAll(async () => {
    await ServiceProcess.killAll();
    await lab?.stop();
    await db?.end();
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('turns an approval into NXDOMAIN at both resolvers within seconds, proves the version and confirms it; a withdrawal lets the names resolve again', async () => {
    const [first, a, b] = [fresh(), fresh(), fresh()];
    expect(resolvesEverywhere(a)).toBe(true);
    await flow.publish([org.id], [first]);
    const run = follow('follow');
    // The first sync (from the snapshot) is deployed, proved at both resolvers and confirmed.
    await until(
      () => lab.version('named') !== undefined && lab.version('unbound') !== undefined,
      () => `the first sync at both resolvers\n${run.output()}`,
      30_000,
    );
    expect(blockedEverywhere(first)).toBe(true);
    const published = await flow.publish([org.id], [a, b]);
    const approvedAt = Date.now();
    await until(
      () => blockedEverywhere(a) && blockedEverywhere(b),
      () => `NXDOMAIN for ${a} and ${b} at both resolvers\n${run.output()}`,
      15_000,
    );
    const tookMs = Date.now() - approvedAt;
    console.log(`agent e2e: approval → NXDOMAIN at BIND and Unbound in ${tookMs} ms`);
    expect(tookMs).toBeLessThan(5000);
    expect(resolvesEverywhere(fresh())).toBe(true);

    // The receipt the Department sees: the version both resolvers serve, the hash matched.
    const department = (await departmentStaff(t.app)).analyst;
    await eventually(async () => {
      expect(await assignmentStatus(published.id as string)).toBe('applied');
    }, 20_000);
    const listed = await request(t.server)
      .get('/api/v1/feed/receipts')
      .query({ organizationId: org.id })
      .set('authorization', `Bearer ${department}`)
      .expect(200);
    const [latest] = listed.body.items as {
      version: number;
      hashCheck: string;
      evidence: string;
      mechanism: string;
    }[];
    expect(latest).toMatchObject({ hashCheck: 'matched', mechanism: 'rpz' });
    expect(lab.version('named')).toBe(latest.version);
    expect(lab.version('unbound')).toBe(latest.version);
    expect(latest.evidence).toContain(`version=${latest.version}`);
    expect(latest.evidence).toMatch(/[0-9a-f]{64}/);

    // Withdrawn: both names resolve again.
    await flow.withdraw(published.id as string);
    await until(
      () => resolvesEverywhere(a) && resolvesEverywhere(b),
      () => `${a} and ${b} to resolve again\n${run.output()}`,
      15_000,
    );
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('killed between writing the zone and reloading: the next run reloads, proves and confirms once, without a new snapshot', async () => {
    await once('settle');
    const name = fresh();
    await flow.publish([org.id], [name]);
    const before = (await receipts()).length;
    const snapshots = async (): Promise<number> =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM feed_pulls WHERE organization_id = $1 AND format = 'rpz'`,
          [org.id],
        )
      ).rows[0].n;
    await sleep(1500); // the service records pulls within a second
    const snapshotsBefore = await snapshots();
    // The reload command kills the agent (its parent): the zone is written, never reloaded.
    const crashed = await once('crash-before-reload', 'kill -9 $PPID');
    expect((await crashed.exited).signal).toBe('SIGKILL');
    expect(lab.zoneText()).toContain(name);
    expect(blockedEverywhere(name)).toBe(false);
    expect(await receipts()).toHaveLength(before);

    const resumed = await once('resume');
    expect(await resumed.exited).toEqual({ code: 0, signal: null });
    expect(blockedEverywhere(name)).toBe(true);
    const after = await receipts();
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)!.hash_check).toBe('matched');
    expect(Number(after.at(-1)!.version)).toBe(lab.version('named'));
    await sleep(1500);
    expect(await snapshots()).toBe(snapshotsBefore);
  }, 120_000);

  it('killed between reloading and confirming: the next run confirms that version exactly once', async () => {
    await once('settle');
    const name = fresh();
    await flow.publish([org.id], [name]);
    const before = (await receipts()).length;
    const crashed = await once('crash-before-receipt', `${lab.reloadCommand} && kill -9 $PPID`);
    expect((await crashed.exited).signal).toBe('SIGKILL');
    expect(blockedEverywhere(name)).toBe(true);
    expect(await receipts()).toHaveLength(before);

    const resumed = await once('resume');
    expect(await resumed.exited).toEqual({ code: 0, signal: null });
    const again = await once('nothing-new');
    expect(await again.exited).toEqual({ code: 0, signal: null });
    const after = await receipts();
    expect(after).toHaveLength(before + 1);
    expect(Number(after.at(-1)!.version)).toBe(lab.version('unbound'));
  }, 120_000);

  it('goes on when the server crashes and restarts while it waits', async () => {
    const run = follow('server-restart');
    await until(
      () => run.lines.some((l) => l.msg === 'resuming'),
      () => `the agent to resume from its state\n${run.output()}`,
      30_000,
    );
    await sleep(500);
    // A crash, not a drain: the held request is cut, not answered.
    service.child.kill('SIGKILL');
    expect((await service.exited).signal).toBe('SIGKILL');
    await sleep(1000);
    await startService();
    const name = fresh();
    await flow.publish([org.id], [name]);
    await until(
      () => blockedEverywhere(name),
      () => `NXDOMAIN for ${name} after the server's restart\n${run.output()}`,
      45_000,
    );
    expect(run.child.exitCode).toBeNull();
  }, 120_000);

  it('a resolver down for a while: nothing is confirmed until it serves the version', async () => {
    const run = follow('resolver-down');
    await until(
      () => run.lines.some((l) => l.msg === 'resuming'),
      () => `the agent to resume from its state\n${run.output()}`,
      30_000,
    );
    await sleep(1000); // in its long poll
    const before = (await receipts()).length;
    await lab.stopResolver('named');
    const name = fresh();
    await flow.publish([org.id], [name]);
    await sleep(4000);
    // Unbound may serve it already; BIND is down: no receipt yet.
    expect(await receipts()).toHaveLength(before);
    lab.startResolver('named');
    await until(
      () => blockedEverywhere(name),
      () => `NXDOMAIN for ${name} once BIND is back\n${run.output()}`,
      60_000,
    );
    await eventually(async () => {
      expect((await receipts()).length).toBe(before + 1);
    }, 60_000);
    const last = (await receipts()).at(-1)!;
    expect(Number(last.version)).toBe(lab.version('named'));
    const status = JSON.parse(readFileSync(path.join(work, 'agent-status.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(JSON.stringify(status)).toContain(last.version);
  }, 150_000);
});
