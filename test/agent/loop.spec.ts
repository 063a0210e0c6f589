import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

const AGENT = path.resolve('agent/bin/threat-exchange-agent.js');

interface Change {
  version: number;
  op: 'add' | 'remove';
  type: string;
  value: string;
  dnsAction: string | null;
}

/**
 * A stand-in for the service's feed API (token, RPZ snapshot, changes with ETag and `wait`,
 * receipts), to drive the agent's loop: pages, long polls, the wait fallback, the proof.
 */
class FakeService {
  server: Server = createServer((req, res) => void this.handle(req, res));
  changes: Change[] = [];
  version = 10;
  receipts: { key: string; body: Record<string, unknown> }[] = [];
  changesBodies = new Map<number, string>();
  waitSupported = true;
  /** Receipts answered 422 before one is taken (as "never served" would be). */
  refuseReceipts = 0;
  /** A page body sent instead of the real one (a broken or hostile service). */
  brokenPage: string | undefined;
  waits: (() => void)[] = [];
  requests: string[] = [];

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  publish(...changes: Omit<Change, 'version'>[]): void {
    for (const c of changes) this.changes.push({ ...c, version: ++this.version });
    for (const wake of this.waits.splice(0)) wake();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/v1/auth/token') {
      return json(200, { access_token: 'tok', token_type: 'Bearer', expires_in: 900 });
    }
    if (req.headers.authorization !== 'Bearer tok') return json(401, { detail: 'no token' });
    if (url.pathname === '/api/v1/feed/snapshot.rpz') {
      const body =
        `$TTL 300\n@ IN SOA ns. host. 10 3600 600 604800 300\n@ IN NS ns.\n; feed\n` +
        `a.example CNAME .\n*.a.example CNAME .\nr.example CNAME notice.example.\n*.r.example CNAME notice.example.\n` +
        `32.1.2.0.192.rpz-ip CNAME .\n`;
      res.writeHead(200, {
        'content-type': 'text/dns',
        'content-encoding': 'gzip',
        'x-feed-version': '10',
      });
      return void res.end(gzipSync(body));
    }
    if (url.pathname === '/api/v1/feed/changes') {
      const after = Number(url.searchParams.get('after'));
      const limit = Number(url.searchParams.get('limit'));
      const wait = Number(url.searchParams.get('wait') ?? 0);
      if (url.searchParams.has('wait') && !this.waitSupported) {
        return json(400, { status: 400, 'invalid-params': [{ name: 'wait', reason: 'unknown' }] });
      }
      const etag = `"${after}-${limit}-${this.version}"`;
      const pending = () => this.changes.filter((c) => c.version > after);
      if (wait > 0 && pending().length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait * 1000);
          this.waits.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const now = `"${after}-${limit}-${this.version}"`;
      if (req.headers['if-none-match'] === now && now === etag && pending().length === 0) {
        res.writeHead(304, { etag: now });
        return void res.end();
      }
      const rows = pending();
      const more = rows.length > limit;
      const page = rows.slice(0, limit);
      const next = more ? page[page.length - 1].version : this.version;
      const body = JSON.stringify({
        after,
        next,
        more,
        currentVersion: this.version,
        changes: page,
      });
      this.changesBodies.set(next, body);
      res.writeHead(200, { 'content-type': 'application/json', etag: now });
      return void res.end(this.brokenPage ?? body);
    }
    if (url.pathname === '/api/v1/feed/receipts' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      if (this.refuseReceipts > 0) {
        this.refuseReceipts -= 1;
        return json(422, {
          status: 422,
          detail: 'version 10 was never served to your organization',
          'invalid-params': [{ name: 'version', reason: 'never served' }],
        });
      }
      this.receipts.push({ key: String(req.headers['idempotency-key']), body });
      return json(201, { id: `receipt-${this.receipts.length}`, hashCheck: 'matched' });
    }
    json(404, {});
  }
}

/**
 * A resolver that answers TXT queries with the version record of the zone it "loaded" (the
 * file the reload command copied).
 */
function fakeResolver(loadedZone: string): Promise<{ socket: Socket; address: string }> {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    let offset = 12;
    while (query[offset] !== 0) offset += query[offset] + 1;
    const question = query.subarray(12, offset + 5);
    const version = existsSync(loadedZone)
      ? /TXT "(version=\d+)"/.exec(readFileSync(loadedZone, 'utf8'))?.[1]
      : undefined;
    const header = Buffer.from([
      query[0],
      query[1],
      0x81,
      0x80,
      0,
      1,
      0,
      version ? 1 : 0,
      0,
      0,
      0,
      0,
    ]);
    const answer = version
      ? Buffer.concat([
          Buffer.from([0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 0, 0, version.length + 1, version.length]),
          Buffer.from(version),
        ])
      : Buffer.alloc(0);
    socket.send(Buffer.concat([header, question, answer]), peer.port, peer.address);
  });
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () =>
      resolve({ socket, address: `127.0.0.1:${socket.address().port}` }),
    ),
  );
}

async function until<T>(what: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = what();
    if (value) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('threat-exchange-agent: the loop (a stand-in service and resolver)', () => {
  let dir: string;
  let fake: FakeService;
  let resolver: { socket: Socket; address: string };
  let child: ChildProcess | undefined;
  let stdout: string;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'agent-loop-'));
    fake = new FakeService();
    resolver = await fakeResolver(path.join(dir, 'loaded.rpz'));
    stdout = '';
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    for (const wake of fake.waits.splice(0)) wake();
    fake.server.closeAllConnections();
    await new Promise((r) => fake.server.close(r));
    resolver.socket.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (extra: string[]) => {
    const url = await fake.listen();
    const zone = path.join(dir, 'zone.rpz');
    child = spawn(
      process.execPath,
      [
        AGENT,
        '--url',
        url,
        '--client-id',
        'isp',
        '--rpz-file',
        zone,
        '--page-size',
        '2',
        '--reload-command',
        `cp '${zone}' '${path.join(dir, 'loaded.rpz')}' && echo x >> '${path.join(dir, 'reloads')}'`,
        '--resolver',
        resolver.address,
        '--status-file',
        path.join(dir, 'status.json'),
        ...extra,
      ],
      { env: { PATH: process.env.PATH, THREAT_EXCHANGE_CLIENT_SECRET: 'secret' } },
    );
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    return zone;
  };
  const logs = () =>
    stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const reloads = () => readFileSync(path.join(dir, 'reloads'), 'utf8').split('\n').length - 1;

  it('proves each version on the resolver, deploys several pages once, long-polls, stops on SIGTERM', async () => {
    const healthPort = 20000 + Math.floor(Math.random() * 20000);
    const zone = await start(['--wait', '20', '--health-port', String(healthPort)]);
    const first = await until(() => fake.receipts[0]);
    expect(first.body).toMatchObject({ version: 10, format: 'rpz', mechanism: 'rpz' });
    const snapshotHash = createHash('sha256')
      .update(
        `$TTL 300\n@ IN SOA ns. host. 10 3600 600 604800 300\n@ IN NS ns.\n; feed\n` +
          `a.example CNAME .\n*.a.example CNAME .\nr.example CNAME notice.example.\n*.r.example CNAME notice.example.\n` +
          `32.1.2.0.192.rpz-ip CNAME .\n`,
      )
      .digest('hex');
    expect(first.body.sha256).toBe(snapshotHash);
    expect(first.body.evidence).toContain(`${resolver.address} answered TXT "version=10" at `);
    expect(first.key).toMatch(/^agent-10-[0-9a-f]{16}-[0-9a-f]{8}$/);

    // The agent is now holding a long poll: a publication reaches it at once.
    await until(() => fake.waits.length > 0);
    const published = Date.now();
    fake.publish(
      { op: 'add', type: 'domain', value: 'b.example', dnsAction: 'nodata' },
      { op: 'add', type: 'domain', value: 'c.example', dnsAction: 'redirect' },
      { op: 'remove', type: 'domain', value: 'a.example', dnsAction: null },
      { op: 'add', type: 'ipv6', value: '2001:db8::1', dnsAction: 'nxdomain' },
    );
    const second = await until(() => fake.receipts[1]);
    expect(Date.now() - published).toBeLessThan(5000);
    expect(second.body).toMatchObject({ version: 14, format: 'changes' });
    // The last page served (two pages of two): its exact bytes.
    expect(second.body.sha256).toBe(
      createHash('sha256').update(fake.changesBodies.get(14)!).digest('hex'),
    );
    expect(second.body.evidence).toContain('answered TXT "version=14"');
    const text = readFileSync(zone, 'utf8');
    expect(text).toContain('b.example CNAME *.\n');
    // The redirect target seen in the snapshot.
    expect(text).toContain('c.example CNAME notice.example.\n');
    expect(text).not.toContain('\na.example');
    expect(text).toContain('128.1.zz.db8.2001.rpz-ip CNAME .\n');
    expect(reloads()).toBe(2);

    const health = await fetch(`http://127.0.0.1:${healthPort}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      deployedVersion: 14,
      confirmedVersion: 14,
      serverVersion: 14,
      lagVersions: 0,
      counts: { domain: 3, ipv4: 1, ipv6: 1 },
    });

    // Stopped in the middle of a long poll: at once, exit code 0, the state kept.
    await until(() => fake.waits.length > 0);
    const stopping = Date.now();
    const exit = new Promise<number | null>((resolve) => child!.on('exit', resolve));
    child!.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(3000);
    const state = JSON.parse(readFileSync(`${zone}.state.json`, 'utf8'));
    expect(state).toMatchObject({ after: 14, confirmed: 14, pending: null });
    expect(logs().at(-1)?.msg).toBe('stopped');
  });

  it('polls when the service refuses wait', async () => {
    fake.waitSupported = false;
    await start(['--wait', '30', '--poll-interval', '1']);
    await until(() => fake.receipts[0]);
    fake.publish({ op: 'add', type: 'domain', value: 'late.example', dnsAction: null });
    const second = await until(() => fake.receipts[1]);
    expect(second.body).toMatchObject({ version: 11, format: 'changes' });
    expect(logs().map((l) => l.msg)).toContain(
      'the service does not support wait: polling instead',
    );
    // Polls are conditional: unchanged, they are answered 304 (no page bodies, no redeploys).
    await new Promise((r) => setTimeout(r, 2500));
    expect(fake.receipts).toHaveLength(2);
    expect(reloads()).toBe(2);
  });

  it('sends no receipt while the resolver does not answer the version (--once: exit 1)', async () => {
    // A resolver that never loaded the zone (the reload command does nothing).
    const zone = await start(['--once', '--proof-timeout', '1', '--reload-command', 'true']);
    const exit = await new Promise<number | null>((resolve) => child!.on('exit', resolve));
    expect(exit).toBe(1);
    expect(fake.receipts).toHaveLength(0);
    expect(logs().find((l) => l.level === 'error')?.error).toMatch(
      /did not answer version 10 for version.threat-exchange.internal within 1 s/,
    );
    const state = JSON.parse(readFileSync(`${zone}.state.json`, 'utf8'));
    // A failed proof runs the reload again next time.
    expect(state).toMatchObject({ reloaded: -1, proven: -1, confirmed: 0 });
  });
  it('sends a refused receipt (422) again under a new key, a few seconds later', async () => {
    fake.refuseReceipts = 1;
    await start(['--once']);
    const exit = await new Promise<number | null>((resolve) => child!.on('exit', resolve));
    expect(exit).toBe(0);
    expect(fake.receipts).toHaveLength(1);
    expect(fake.receipts[0].key).toMatch(/^agent-10-[0-9a-f]{16}-[0-9a-f]{8}-r1$/);
    expect(logs().map((l) => l.msg)).toContain('receipt refused, sending it again');
  });

  it.each([
    ['not JSON', 'not json'],
    [
      'a next below after',
      JSON.stringify({ after: 10, next: 3, more: false, currentVersion: 11, changes: [] }),
    ],
    [
      'an unknown op',
      JSON.stringify({
        after: 10,
        next: 11,
        more: false,
        currentVersion: 11,
        changes: [{ version: 11, op: 'drop', type: 'domain', value: 'x.example' }],
      }),
    ],
  ])('writes nothing from a page with %s (--once: exit 1)', async (_what, broken) => {
    fake.publish({ op: 'add', type: 'domain', value: 'new.example', dnsAction: null });
    fake.brokenPage = broken;
    const zone = await start(['--once']);
    const exit = await new Promise<number | null>((resolve) => child!.on('exit', resolve));
    expect(exit).toBe(1);
    expect(existsSync(zone) ? readFileSync(zone, 'utf8') : '').not.toContain('new.example');
    expect(fake.receipts).toHaveLength(0);
    expect(logs().find((l) => l.level === 'error')?.error).toMatch(/GET \/feed\/changes answered/);
  });
  it('takes the whole snapshot again every --resync-interval', async () => {
    await start(['--wait', '1', '--resync-interval', '1']);
    const snapshots = () => fake.requests.filter((r) => r.includes('/feed/snapshot.rpz')).length;
    await until(() => snapshots() >= 2, 10_000);
    expect(logs().map((l) => l.msg)).toContain('taking the whole snapshot again');
    // The same version again: deployed and proved, not confirmed twice.
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.receipts).toHaveLength(1);
  });
});
