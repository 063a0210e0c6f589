import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { rpzIpOwner } from '#src/feeds/snapshots/rpz.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, isp, RequestFlow, status, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const AGENT = path.resolve('agent/bin/threat-exchange-agent.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  logs: Record<string, unknown>[];
}

/** The agent as a child process (its own Node, its own environment). */
function agent(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [AGENT, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const logs = stdout
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr, logs });
      },
    );
  });
}

describe('threat-exchange-agent against the service', () => {
  let t: TestApp;
  let flow: RequestFlow;
  let mine: Awaited<ReturnType<typeof isp>>;
  let client: { clientId: string; secret: string };
  let base: string;
  let dir: string;
  const first = unprotected.domain();
  const nodata = unprotected.domain();
  const ipv4 = unprotected.ipv4();
  const ipv6 = unprotected.ipv6();
  const cidr = unprotected.cidr();
  const url = unprotected.url();
  const later = unprotected.domain();

  beforeAll(async () => {
    t = await createTestApp({ env: { RPZ_NOTICE_HOST: 'notice.dic.example' } });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.server.address() as AddressInfo).port}`;
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
    mine = await isp(t.app);
    client = await new Factories(t.app).apiClient(mine.org);
    dir = mkdtempSync(path.join(tmpdir(), 'agent-e2e-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const files = () => ({
    zone: path.join(dir, 'threat-exchange.rpz'),
    nft: path.join(dir, 'threat-exchange.nft'),
    ips: path.join(dir, 'blocked-ips.txt'),
    state: path.join(dir, 'state.json'),
    status: path.join(dir, 'status.json'),
    reloads: path.join(dir, 'reloads.log'),
  });
  const once = () => {
    const f = files();
    writeFileSync(path.join(dir, 'secret'), `${client.secret}\n`);
    return agent(
      [
        '--once',
        '--rpz-file',
        f.zone,
        '--nft-file',
        f.nft,
        '--ip-list-file',
        f.ips,
        '--state-file',
        f.state,
        '--status-file',
        f.status,
        '--reload-command',
        `echo reloaded >> '${f.reloads}'`,
      ],
      {
        THREAT_EXCHANGE_URL: base,
        THREAT_EXCHANGE_CLIENT_ID: client.clientId,
        THREAT_EXCHANGE_CLIENT_SECRET_FILE: path.join(dir, 'secret'),
      },
    );
  };
  const receipts = async () =>
    (
      await request(t.server)
        .get('/api/v1/feed/receipts')
        .set('authorization', `Bearer ${mine.token}`)
        .expect(status(200))
    ).body.items as Record<string, unknown>[];
  const assignment = async (requestId: string) => {
    const res = await request(t.server)
      .get('/api/v1/assignments')
      .set('authorization', `Bearer ${mine.token}`)
      .expect(status(200));
    return (res.body.items as Record<string, unknown>[]).find((a) => a.requestId === requestId);
  };

  it('deploys the snapshot, reloads and sends a receipt whose hash the service matched', async () => {
    const published = await flow.publish([mine.org.id], [first, ipv4, ipv6, cidr, url]);
    const draft = await flow.draft([mine.org.id], { dnsAction: 'nodata' });
    await flow.addValues(draft.id as string, [nodata]);
    await flow.submit(draft.id as string);
    await flow.approve(draft.id as string);

    const run = await once();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const f = files();
    const zone = readFileSync(f.zone, 'utf8');
    expect(zone).toContain(`\n${first} CNAME .\n*.${first} CNAME .\n`);
    expect(zone).toContain(`\n${nodata} CNAME *.\n`);
    expect(zone).toContain(`\n${rpzIpOwner(ipv4, 32)} CNAME .\n`);
    expect(zone).toContain(`\n${rpzIpOwner(ipv6, 128)} CNAME .\n`);
    const [network, prefix] = cidr.split('/');
    expect(zone).toContain(`\n${rpzIpOwner(network, Number(prefix))} CNAME .\n`);
    expect(zone).not.toMatch(new RegExp(`^[^;].*${url.replace(/[.?/]/g, '\\$&')}`, 'm'));
    const state = JSON.parse(readFileSync(f.state, 'utf8'));
    const version = state.deployed.version as number;
    expect(zone).toContain(`version.threat-exchange.internal 1 IN TXT "version=${version}"`);
    expect(state).toMatchObject({ confirmed: version, reloaded: version, pending: null });
    expect(state.deployed.source.format).toBe('rpz');
    expect(readFileSync(f.ips, 'utf8').split('\n')).toEqual(
      expect.arrayContaining([ipv4, ipv6, cidr]),
    );
    expect(readFileSync(f.nft, 'utf8')).toContain(`blocked_ipv4 {`);
    expect(readFileSync(f.reloads, 'utf8')).toBe('reloaded\n');
    // No temporary file is left beside the outputs.
    expect(readdirSync(dir).filter((n) => n.includes('tmp'))).toEqual([]);

    const [receipt] = await receipts();
    expect(receipt).toMatchObject({
      id: state.receiptId,
      version,
      format: 'rpz',
      mechanism: 'rpz',
      hashCheck: 'matched',
      flagged: false,
    });
    expect(receipt.evidence).toContain(`zone sha256=${state.deployed.hashes[f.zone]}`);
    expect(receipt.evidence).toContain('resolver not checked');
    expect((await assignment(published.id as string))?.status).toBe('applied');
    expect((await assignment(draft.id as string))?.status).toBe('applied');

    const statusFile = JSON.parse(readFileSync(f.status, 'utf8'));
    expect(statusFile).toMatchObject({
      deployedVersion: version,
      confirmedVersion: version,
      healthy: true,
      counts: { domain: 2, ipv4: 1, ipv6: 1, cidr: 1, url: 1 },
    });
    // The secret never reaches the logs.
    expect(run.stdout).not.toContain(client.secret);
  });

  it('sends no second receipt when nothing changed', async () => {
    const before = await receipts();
    const run = await once();
    expect(run.code).toBe(0);
    expect(await receipts()).toHaveLength(before.length);
    expect(run.logs.map((l) => l.msg)).not.toContain('deployed');
    expect(run.logs.map((l) => l.msg)).toContain('resuming');
  });

  it('follows the changes: the next version from /feed/changes, receipt matched', async () => {
    const published = await flow.publish([mine.org.id], [later]);
    const withdrawnBefore = readFileSync(files().zone, 'utf8');
    expect(withdrawnBefore).not.toContain(later);
    const run = await once();
    expect(run.code).toBe(0);
    expect(run.logs.map((l) => l.msg)).not.toContain('snapshot read');
    const zone = readFileSync(files().zone, 'utf8');
    expect(zone).toContain(`\n${later} CNAME .\n`);
    expect(zone).toContain(`\n${first} CNAME .\n`);
    const state = JSON.parse(readFileSync(files().state, 'utf8'));
    expect(state.deployed.source.format).toBe('changes');
    const [receipt] = await receipts();
    expect(receipt).toMatchObject({
      version: state.deployed.version,
      format: 'changes',
      hashCheck: 'matched',
    });
    expect((await assignment(published.id as string))?.status).toBe('applied');
    expect(readFileSync(files().reloads, 'utf8')).toBe('reloaded\nreloaded\n');
  });

  it('starts over from a snapshot when the zone on disk was changed', async () => {
    const f = files();
    writeFileSync(f.zone, `${readFileSync(f.zone, 'utf8')}extra.example CNAME .\n`);
    const run = await once();
    expect({ code: run.code, logs: run.code === 0 ? [] : run.logs }).toEqual({ code: 0, logs: [] });
    expect(run.logs.find((l) => l.msg === 'starting from a snapshot')?.reason).toBe(
      'the zone file was changed',
    );
    expect(readFileSync(f.zone, 'utf8')).not.toContain('extra.example');
    expect(existsSync(`${f.zone}.agent-tmp`)).toBe(false);
  });

  it('fails with exit code 1 on a wrong secret, 2 on a bad option', async () => {
    const f = files();
    const wrong = await agent(['--once', '--rpz-file', path.join(dir, 'other.rpz')], {
      THREAT_EXCHANGE_URL: base,
      THREAT_EXCHANGE_CLIENT_ID: client.clientId,
      THREAT_EXCHANGE_CLIENT_SECRET: 'wrong',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.logs.find((l) => l.level === 'error')?.error).toMatch(/auth\/token answered 401/);
    const bad = await agent(['--once', '--rpz-file', f.zone, '--proof-timeout', '0'], {
      THREAT_EXCHANGE_URL: base,
      THREAT_EXCHANGE_CLIENT_ID: client.clientId,
      THREAT_EXCHANGE_CLIENT_SECRET: 'x',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--proof-timeout must be a whole number from 1 to 3600');
  });
});
