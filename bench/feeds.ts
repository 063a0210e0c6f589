/**
 * ISP feeds against their physical limits, on a real PostgreSQL (docs/performance.md, "Feeds").
 *
 *   npm run bench:feeds                       # builds, then: node dist/bench/feeds.js
 *   node dist/bench/feeds.js [--rows 1000000] [--more 2000000] [--runs 2] [--duration 10]
 *                            [--connections 10,50] [--skip-snapshots] [--skip-http] [--no-pin]
 *
 * With DATABASE_URL a scratch database `bench_<random>` is created on that server and dropped
 * at the end; without it an embedded PostgreSQL runs in a temporary folder, removed at the end.
 *
 * 1. The service runs as a process of its own (`node dist/src/main.js`, as `npm start`), so that
 *    its memory is its own. Through its API: an ISP, an API client (client credentials token),
 *    an analyst and an approver, and one published blocking request addressed to the ISP.
 * 2. Seeding with SQL (under the feed version lock, as FeedWriter does): `--rows` unique
 *    canonical indicators (domains 70 %, IPv4 20 %, IPv6 5 %, CIDR 5 %) made by
 *    generate_series, each with its change (`feed_log`), its active row (`feed_active_sets`)
 *    and its claim (`feed_claim_sets`) pointing at that request, all with the ISP's own
 *    audience (decision 0021); `feed_version.last` advanced to match.
 * 3. Snapshots: every format of SNAPSHOT_FORMATS (and `stix`, reported as not available when
 *    the route answers 404) is read with node:http, uncompressed, and the bytes discarded;
 *    against it, `COPY (SELECT <the same columns> FROM feed_active JOIN indicators … ORDER BY
 *    value, type) TO STDOUT` of the same rows on a plain pg client, in the same run, in
 *    alternating order. Each at least `--runs` times; best and median. While the API streams,
 *    the service's VmRSS is sampled every 20 ms (/proc/<pid>/status); its idle RSS is the
 *    median over 1 s after 2 s of quiet once warmed up, and again (0.5 s after 1 s) before each
 *    read. One gzip run of csv per repetition.
 * 4. `--more` rows are added the same way and step 3 runs again (3M with the defaults).
 * 5. HTTP: autocannon (a process of its own) for `--duration` seconds with each of
 *    `--connections` against (a) GET /feed/changes with If-None-Match = the current ETag (a
 *    304) and (b) a 200 carrying 50 changes (a request of 50 items published through the API
 *    just before), and against a bare node:http server (bench/bare-http-server.ts, a process of
 *    its own) answering the same status, headers and bytes. With taskset and 2+ cores, both
 *    servers are pinned to core 0 and autocannon to core 1.
 *
 * Prints the figures, then one JSON object as the last line of stdout.
 */
import 'reflect-metadata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { FEED_TYPES, SNAPSHOT_FORMATS, type SnapshotFormat } from '#src/feeds/feed-vocabulary.js';
import { snapshotCopySql } from '#src/feeds/snapshots/snapshot-sql.js';
import { ApiClient } from '#bench/support/api-client.js';
import { fmt, measuredCode, median, round } from '#bench/support/figures.js';
import { copyOut, send, type Read } from '#bench/support/reads.js';
import { scratchDatabase, sql } from '#bench/support/scratch-database.js';
import { seed, type Kind, type Seeded } from '#bench/support/feed-seed.js';
import { idleRss, privateBuild, rss, Service, stopChild } from '#bench/support/service.js';

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    more: { type: 'string', default: '2000000' },
    runs: { type: 'string', default: '2' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10,50' },
    'skip-snapshots': { type: 'boolean', default: false },
    'skip-http': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
  },
});
const ROWS = Number(opts.rows);
const MORE = Number(opts.more);
const RUNS = Number(opts.runs);
const DURATION_S = Number(opts.duration);
const CONNECTIONS = opts.connections.split(',').map(Number);
if (
  !Number.isSafeInteger(ROWS) ||
  ROWS < 1 ||
  !Number.isSafeInteger(MORE) ||
  MORE < 0 ||
  ROWS + MORE > 20_000_000 ||
  !Number.isSafeInteger(RUNS) ||
  RUNS < 1 ||
  !(DURATION_S >= 1) ||
  CONNECTIONS.some((c) => !Number.isSafeInteger(c) || c < 1)
) {
  console.error(
    'usage: node dist/bench/feeds.js [--rows N] [--more N] [--runs N] [--duration S] [--connections 10,50]',
  );
  process.exit(2);
}

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon');
const ADMIN_EMAIL = 'bench-admin@department.example';
const PASSWORD = randomBytes(18).toString('base64url');
const SAMPLE_MS = 20;

const mb = (bytes: number): number => round(bytes / 1e6, 1);

// ---------------------------------------------------------------------------------------------
// Processes: the service, the bare server, autocannon

/** Samples a process's RSS every SAMPLE_MS until stopped; keeps the peak. */
function sampleRss(pid: number): () => { peak: number; samples: number } {
  let peak = rss(pid);
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, rss(pid));
    samples++;
  }, SAMPLE_MS);
  return () => {
    clearInterval(timer);
    peak = Math.max(peak, rss(pid));
    return { peak, samples: samples + 1 };
  };
}

type Sampled<T> = T & { idle: number; peak: number; samples: number };

/** The idle RSS just before `read` (1 s of quiet, then 0.5 s), and the peak during it. */
async function withRss<T>(pid: number, read: () => Promise<T>): Promise<Sampled<T>> {
  const idle = await idleRss(pid, 1000, 500);
  const stop = sampleRss(pid);
  const result = await read();
  return { ...result, idle, ...stop() };
}

/** A recorded answer of the service, replayed by the bare server. */
interface Recorded {
  status: number;
  headers: [string, string][];
  body: string;
}

/**
 * The bare node:http server that will answer with what `file` holds (written later, read at the
 * first request), as a process of its own, from the private build.
 */
async function startBare(
  root: string,
  file: string,
  cpu: number | undefined,
): Promise<{ child: ChildProcess; base: string }> {
  const command = cpu === undefined ? process.execPath : 'taskset';
  const args = [path.join(root, 'dist', 'bench', 'bare-http-server.js'), file];
  const child = spawn(
    command,
    cpu === undefined ? args : ['-c', String(cpu), process.execPath, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const line = text.split('\n')[0];
      if (text.includes('\n')) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`the bare server exited with ${code}`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

interface Cannon {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  expectedStatus: number;
  /** Answers with another status class than the expected one, errors and timeouts. */
  unexpected: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  bytesPerSecond: number;
}

/** autocannon in a process of its own, pinned to `cpu` when given. */
async function cannon(
  url: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
  expectedStatus: number,
  cpu: number | undefined,
): Promise<Cannon> {
  const args = [AUTOCANNON, '-j', '-n', '-c', String(connections), '-d', String(seconds)];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  args.push(url);
  const child =
    cpu === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('taskset', ['-c', String(cpu), process.execPath, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`autocannon exited with ${code}: ${err}`);
  const r = JSON.parse(out) as {
    duration: number;
    requests: { total: number };
    latency: { p50: number; p99: number };
    throughput: { total: number };
    errors: number;
    timeouts: number;
    '2xx': number;
    '3xx': number;
  };
  const good = expectedStatus >= 300 ? r['3xx'] : r['2xx'];
  return {
    connections,
    seconds: round(r.duration, 2),
    requests: r.requests.total,
    requestsPerSecond: round(r.requests.total / r.duration),
    expectedStatus,
    unexpected: r.requests.total - good + r.errors + r.timeouts,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    bytesPerSecond: round(r.throughput.total / r.duration),
  };
}

/** Pins every thread of a running process to `cpu`. */
function pin(pid: number, cpu: number): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`taskset failed: ${r.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP clients

/** One GET on a connection of its own; the bytes are counted, and kept when `keep`. */
function get(url: string, headers: Record<string, string>, keep = false): Promise<Read> {
  return send('GET', url, headers, { keep });
}

/** The service's answer as the bare server will replay it (framing headers and date aside). */
function record(read: Read): Recorded {
  const skip = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
  const headers: [string, string][] = [];
  const raw = read.rawHeaders ?? [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (!skip.has(name.toLowerCase())) headers.push([name, raw[i + 1]]);
  }
  return { status: read.status, headers, body: (read.body ?? Buffer.alloc(0)).toString('base64') };
}

// ---------------------------------------------------------------------------------------------
// Seeding

// ---------------------------------------------------------------------------------------------
// Snapshots

interface Timing {
  bytes: number;
  bestS: number;
  medianS: number;
  bestMBps: number;
  medianMBps: number;
}

function timing(reads: Read[]): Timing {
  const seconds = reads.map((r) => r.ms / 1000);
  const bytes = reads[0].bytes;
  const bestS = Math.min(...seconds);
  const medianS = median(seconds);
  return {
    bytes,
    bestS: round(bestS, 3),
    medianS: round(medianS, 3),
    bestMBps: round(bytes / bestS / 1e6, 1),
    medianMBps: round(bytes / medianS / 1e6, 1),
  };
}

interface FormatResult {
  format: string;
  available: boolean;
  api?: Timing & { lines: number; peakRss: number; peakAboveIdle: number; rssSamples: number };
  copy?: Timing & { lines: number };
  /** API bytes/s ÷ COPY bytes/s (the issue's measure), from the best and the median runs. */
  ratioBest?: number;
  ratioMedian?: number;
  /** COPY seconds ÷ API seconds: the same rows, so rows/s ÷ rows/s. */
  rowsRatioBest?: number;
  rowsRatioMedian?: number;
}

interface StageResult {
  rows: number;
  seeded: Seeded;
  idleRss: number;
  formats: FormatResult[];
  gzipCsv?: Timing & {
    uncompressedBytes: number;
    ratioUncompressedBest: number;
    peakRss: number;
    peakAboveIdle: number;
  };
  /** The idle RSS measured before each API read: lowest and highest. */
  idleRange: [number, number];
  /** The highest RSS during any read, and its excess over the idle RSS after warm-up. */
  peakRss: number;
  peakAboveWarmIdle: number;
  maxPeakAboveIdle: number;
}

async function snapshotStage(
  service: Service,
  dbUrl: string,
  token: string,
  org: string,
  departmentId: string,
  rows: number,
  seeded: Seeded,
): Promise<StageResult> {
  const formats = SNAPSHOT_FORMATS;
  /** The same COPY the service streams, bare: the physical limit of each snapshot. */
  const baselineSql = (format: SnapshotFormat): string =>
    snapshotCopySql(format, org, FEED_TYPES, departmentId);
  const auth = { authorization: `Bearer ${token}` };
  const url = (format: string, query = ''): string =>
    `${service.base}/api/v1/feed/snapshot.${format}${query}`;
  const client = new pg.Client({ connectionString: dbUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    // Warm-up: every format once on a small type (the code paths), the whole table once (caches).
    const available = new Map<string, boolean>();
    for (const format of formats) {
      const r = await get(url(format, '?types=cidr'), auth);
      if (r.status !== 200 && r.status !== 404) {
        throw new Error(`snapshot.${format} answered ${r.status}`);
      }
      available.set(format, r.status === 200);
    }
    await copyOut(client, baselineSql('txt'));
    const idle = await idleRss(service.pid, 2000, 1000);

    const apiReads = new Map<string, Sampled<Read>[]>();
    const copyReads = new Map<string, Read[]>();
    const gzipReads: Sampled<Read>[] = [];
    for (let run = 0; run < RUNS; run++) {
      for (const format of formats) {
        if (!available.get(format)) continue;
        const baseline = baselineSql(format);
        const api = async (): Promise<void> => {
          const r = await withRss(service.pid, () => get(url(format), auth));
          if (r.status !== 200) throw new Error(`snapshot.${format} answered ${r.status}`);
          if (r.headers['x-feed-version'] !== String(seeded.version)) {
            throw new Error(
              `snapshot.${format} is at version ${String(r.headers['x-feed-version'])}, not ${seeded.version}`,
            );
          }
          apiReads.set(format, [...(apiReads.get(format) ?? []), r]);
        };
        const copy = async (): Promise<void> => {
          if (!baseline) return;
          copyReads.set(format, [
            ...(copyReads.get(format) ?? []),
            await copyOut(client, baseline),
          ]);
        };
        // Alternating order, so that neither side always meets the caches the other warmed.
        if (run % 2 === 0) {
          await api();
          await copy();
        } else {
          await copy();
          await api();
        }
      }
      if (available.get('csv')) {
        const r = await withRss(service.pid, () =>
          get(url('csv'), { ...auth, 'accept-encoding': 'gzip' }),
        );
        if (r.status !== 200 || r.headers['content-encoding'] !== 'gzip') {
          throw new Error(`gzip csv answered ${r.status} ${r.headers['content-encoding']}`);
        }
        gzipReads.push(r);
      }
    }

    const results: FormatResult[] = formats.map((format) => {
      const a = apiReads.get(format);
      if (!a) return { format, available: false };
      const c = copyReads.get(format);
      const api = {
        ...timing(a),
        lines: a[0].lines,
        peakRss: Math.max(...a.map((r) => r.peak)),
        peakAboveIdle: Math.max(...a.map((r) => r.peak - r.idle)),
        rssSamples: Math.min(...a.map((r) => r.samples)),
      };
      if (!c) return { format, available: true, api };
      const copy = { ...timing(c), lines: c[0].lines };
      return {
        format,
        available: true,
        api,
        copy,
        ratioBest: round(api.bestMBps / copy.bestMBps, 3),
        ratioMedian: round(api.medianMBps / copy.medianMBps, 3),
        rowsRatioBest: round(copy.bestS / api.bestS, 3),
        rowsRatioMedian: round(copy.medianS / api.medianS, 3),
      };
    });
    // The rows are the ones seeded: COPY gives one line per row, the API's text one per row
    // after its comment lines.
    const txt = results.find((r) => r.format === 'txt');
    if (txt?.copy && txt.copy.lines !== rows) {
      throw new Error(`COPY read ${txt.copy.lines} rows, not ${rows}`);
    }
    if (txt?.api && (txt.api.lines < rows || txt.api.lines > rows + 10)) {
      throw new Error(`snapshot.txt has ${txt.api.lines} lines for ${rows} rows`);
    }
    let gzipCsv: StageResult['gzipCsv'];
    const csv = results.find((r) => r.format === 'csv');
    if (gzipReads.length > 0 && csv?.api && csv.copy) {
      const t = timing(gzipReads);
      gzipCsv = {
        ...t,
        uncompressedBytes: csv.api.bytes,
        // Uncompressed csv bytes delivered per second, against COPY's.
        ratioUncompressedBest: round(csv.api.bytes / t.bestS / 1e6 / csv.copy.bestMBps, 3),
        peakRss: Math.max(...gzipReads.map((r) => r.peak)),
        peakAboveIdle: Math.max(...gzipReads.map((r) => r.peak - r.idle)),
      };
    }
    const peaks = results.flatMap((r) => (r.api ? [r.api.peakAboveIdle] : []));
    if (gzipCsv) peaks.push(gzipCsv.peakAboveIdle);
    const reads = [...apiReads.values(), gzipReads].flat();
    const idles = reads.map((r) => r.idle);
    const peakRss = Math.max(...reads.map((r) => r.peak));
    return {
      peakRss,
      peakAboveWarmIdle: peakRss - idle,
      rows,
      seeded,
      idleRss: idle,
      idleRange: [Math.min(...idles), Math.max(...idles)],
      formats: results,
      gzipCsv,
      maxPeakAboveIdle: Math.max(...peaks),
    };
  } finally {
    await client.end();
  }
}

function printStage(stage: StageResult): void {
  console.log(
    `\nsnapshots of ${fmt(stage.rows)} rows (seeded in ${stage.seeded.seconds} s, version ${fmt(stage.seeded.version)}); idle RSS ${mb(stage.idleRss)} MB after warm-up, ${mb(stage.idleRange[0])}–${mb(stage.idleRange[1])} MB before each read; best / median of ${RUNS}; peak RSS − idle before the read, highest`,
  );
  console.log(
    'format   API bytes      API s            API MB/s         COPY bytes     COPY s           COPY MB/s        bytes/s ratio    rows/s ratio     peak RSS − idle',
  );
  const pair = (a: number, b: number): string => `${a} / ${b}  `.padEnd(17);
  for (const r of stage.formats) {
    if (!r.available || !r.api) {
      console.log(`${r.format.padEnd(9)}not available (the route answers 404)`);
      continue;
    }
    const a = r.api;
    const c = r.copy;
    console.log(
      r.format.padEnd(9) +
        fmt(a.bytes).padEnd(15) +
        pair(a.bestS, a.medianS) +
        pair(a.bestMBps, a.medianMBps) +
        (c
          ? fmt(c.bytes).padEnd(15) +
            pair(c.bestS, c.medianS) +
            pair(c.bestMBps, c.medianMBps) +
            pair(r.ratioBest!, r.ratioMedian!) +
            pair(r.rowsRatioBest!, r.rowsRatioMedian!)
          : 'no COPY baseline for this format'.padEnd(98)) +
        `${mb(a.peakAboveIdle)} MB`,
    );
  }
  const g = stage.gzipCsv;
  if (g) {
    console.log(
      `csv gzip ${fmt(g.bytes)} bytes (of ${fmt(g.uncompressedBytes)}) in ${g.bestS} / ${g.medianS} s = ${mb(g.uncompressedBytes / g.bestS)} MB/s uncompressed, ${g.ratioUncompressedBest}× COPY; peak RSS − idle ${mb(g.peakAboveIdle)} MB`,
    );
  }
  console.log(
    `RSS, all formats: highest ${mb(stage.peakRss)} MB = ${mb(stage.peakAboveWarmIdle)} MB above the idle after warm-up; at most ${mb(stage.maxPeakAboveIdle)} MB above the idle just before a read`,
  );
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const run = randomBytes(3).toString('hex');
  // Whatever else runs on the machine skews every figure: the load averages say how much.
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  const code = measuredCode(['src', 'migrations']);
  const db = await scratchDatabase();
  const work = await mkdtemp(path.join(os.tmpdir(), 'threat-exchange-bench-feeds-'));
  const children: ChildProcess[] = [];
  let started: Service | undefined;
  try {
    const root = await privateBuild(work);
    const service = await Service.start(root, db.url, {
      logLevel: process.env.BENCH_LOG_LEVEL ?? 'error',
      adminEmail: ADMIN_EMAIL,
      password: PASSWORD,
    });
    started = service;
    const api = new ApiClient(service.base, PASSWORD);
    const pinned =
      !opts['skip-http'] &&
      !opts['no-pin'] &&
      os.cpus().length >= 2 &&
      spawnSync('taskset', ['-V']).status === 0;
    const serverCpu = pinned ? 0 : undefined;
    const loadCpu = pinned ? 1 : undefined;
    const bareNotModified = await startBare(root, path.join(work, '304.json'), serverCpu);
    children.push(bareNotModified.child);
    const bareFifty = await startBare(root, path.join(work, '200.json'), serverCpu);
    children.push(bareFifty.child);
    const [{ version: pgVersion, server_version: serverVersion }] = await sql<{
      version: string;
      server_version: string;
    }>(db.url, `SELECT version(), current_setting('server_version') AS server_version`);

    // ---- accounts, through the API
    const [{ organization_id: departmentId }] = await sql<{ organization_id: string }>(
      db.url,
      'SELECT organization_id FROM users WHERE email = $1',
      [ADMIN_EMAIL],
    );
    const accounts = await api.accounts(ADMIN_EMAIL, departmentId, run);
    const isp = await accounts.isp('feeds');
    const { client } = isp;
    const analyst = await accounts.user('analyst');
    const approver = await accounts.user('approver');
    const staff = { analyst: analyst.token, approver: approver.token };
    const token = (): Promise<string> => api.clientToken(client.clientId, client.clientSecret);
    // The request that the seeded rows' claims point at: a real publication of one value.
    const anchor = await api.publish(staff, isp.id, `BENCH-${run}/0`, [`anchor-${run}.com`]);

    // ---- snapshots at --rows, then at --rows + --more
    const offsets: Record<Kind, number> = { domain: 0, ipv4: 0, ipv6: 0, cidr: 0 };
    const ids = { org: isp.id, request: anchor, creator: analyst.id };
    const stages: StageResult[] = [];
    const seeds: Seeded[] = [];
    let total = 1; // the anchor's value
    for (const n of [ROWS, MORE]) {
      if (n === 0) continue;
      const seeded = await seed(db.url, n, offsets, ids, `bench-${run}-${seeds.length}`);
      seeds.push(seeded);
      total += n;
      console.log(
        `seeded ${fmt(n)} rows in ${seeded.seconds} s (${JSON.stringify(seeded.mix)}; ${JSON.stringify(seeded.steps)}); ${fmt(total)} active, version ${fmt(seeded.version)}`,
      );
      if (opts['skip-snapshots']) continue;
      await sleep(1500); // the service's version watcher polls every second
      const stage = await snapshotStage(
        service,
        db.url,
        await token(),
        isp.id,
        departmentId,
        total,
        seeded,
      );
      printStage(stage);
      stages.push(stage);
    }

    // ---- the change feed: 304 and a 200 of 50 changes, against a bare node:http server
    const http304: Cannon[] = [];
    const bare304: Cannon[] = [];
    const http200: Cannon[] = [];
    const bare200: Cannon[] = [];
    let recorded: { notModified: Recorded; fifty: Recorded; fiftyBytes: number } | undefined;
    if (!opts['skip-http']) {
      const auth = { authorization: `Bearer ${await token()}` };
      const [{ last }] = await sql<{ last: string }>(db.url, 'SELECT last FROM feed_version');
      const before = Number(last);
      const values = Array.from({ length: 50 }, (_, i) =>
        i < 35
          ? `fifty-${i}-${run}.com`
          : i < 45
            ? `2.34.${i}.${1 + (parseInt(run, 16) % 250)}`
            : i < 48
              ? `2a0e:b100:${(0x100 + i).toString(16)}::${(parseInt(run, 16) % 250) + 1}`
              : `2.51.${i}.0/24`,
      );
      await api.publish(staff, isp.id, `BENCH-${run}/50`, values);
      await sleep(1500);
      const changesUrl = (after: number): string =>
        `${service.base}/api/v1/feed/changes?after=${after}&limit=1000`;
      const first = await get(changesUrl(before + 50), auth);
      const etag = first.headers.etag;
      if (first.status !== 200 || !etag) throw new Error(`changes answered ${first.status}`);
      const notModified = await get(
        changesUrl(before + 50),
        { ...auth, 'if-none-match': etag },
        true,
      );
      if (notModified.status !== 304) {
        throw new Error(`If-None-Match answered ${notModified.status}, not 304`);
      }
      const fifty = await get(changesUrl(before), auth, true);
      const body = JSON.parse(fifty.body!.toString('utf8')) as {
        changes: unknown[];
        more: boolean;
      };
      if (fifty.status !== 200 || body.changes.length !== 50 || body.more) {
        throw new Error(`after=${before} answered ${fifty.status} with ${body.changes.length}`);
      }
      recorded = {
        notModified: record(notModified),
        fifty: record(fifty),
        fiftyBytes: fifty.bytes,
      };

      writeFileSync(path.join(work, '304.json'), JSON.stringify(recorded.notModified));
      writeFileSync(path.join(work, '200.json'), JSON.stringify(recorded.fifty));
      if (pinned) pin(service.pid, 0);
      const cases = [
        {
          name: '304',
          status: 304,
          api: changesUrl(before + 50),
          bare: `${bareNotModified.base}/api/v1/feed/changes?after=${before + 50}&limit=1000`,
          headers: { ...auth, 'if-none-match': etag },
          out: [http304, bare304],
        },
        {
          name: '200 (50 changes)',
          status: 200,
          api: changesUrl(before),
          bare: `${bareFifty.base}/api/v1/feed/changes?after=${before}&limit=1000`,
          headers: auth,
          out: [http200, bare200],
        },
      ];
      for (const connections of CONNECTIONS) {
        for (const c of cases) {
          for (const [i, target] of [c.api, c.bare].entries()) {
            await cannon(target, c.headers, connections, 2, c.status, loadCpu); // warm-up
            c.out[i].push(
              await cannon(target, c.headers, connections, DURATION_S, c.status, loadCpu),
            );
          }
          const [a, b] = [c.out[0].at(-1)!, c.out[1].at(-1)!];
          console.log(
            `changes ${c.name.padEnd(17)} c=${String(connections).padEnd(3)} API ${fmt(a.requestsPerSecond)} req/s (p50 ${a.latencyP50Ms} ms, p99 ${a.latencyP99Ms} ms, ${a.unexpected} unexpected), bare ${fmt(b.requestsPerSecond)} req/s (p50 ${b.latencyP50Ms} ms): ${round(a.requestsPerSecond / b.requestsPerSecond, 3)}×`,
          );
        }
      }
    }

    // ---- report
    const cpus = os.cpus();
    const pairs = (api: Cannon[], bare: Cannon[]) =>
      api.map((a, i) => ({
        connections: a.connections,
        api: a,
        bare: bare[i],
        ratio: round(a.requestsPerSecond / bare[i].requestsPerSecond, 3),
      }));
    const result = {
      date: new Date().toISOString(),
      code,
      database: db.where,
      node: process.version,
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      ramGiB: round(os.totalmem() / 2 ** 30, 1),
      loadAverage: { before: loadBefore, after: os.loadavg().map((x) => round(x, 2)) },
      postgres: serverVersion,
      postgresVersion: pgVersion,
      runs: RUNS,
      logLevel: process.env.BENCH_LOG_LEVEL ?? 'error',
      seeds,
      snapshots: stages,
      changes: recorded
        ? {
            durationS: DURATION_S,
            pinned,
            notModifiedHeaders: recorded.notModified.headers,
            fiftyBytes: recorded.fiftyBytes,
            notModified: pairs(http304, bare304),
            fifty: pairs(http200, bare200),
          }
        : undefined,
    };
    console.log(
      `\ncode          commit ${code.commit}${code.uncommitted.length > 0 ? ` with uncommitted changes to ${code.uncommitted.join(', ')}` : ''}`,
    );
    console.log(`database      ${result.database} (PostgreSQL ${serverVersion})`);
    console.log(
      `machine       ${result.cpu}, ${result.cores} cores, ${result.ramGiB} GiB, Node ${result.node}; service and autocannon ${pinned ? 'pinned to cores 0 and 1' : 'not pinned'}`,
    );
    console.log(
      `load average  ${result.loadAverage.before.join(' ')} before, ${result.loadAverage.after.join(' ')} after (1, 5, 15 min)`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await started?.stop();
    for (const child of children) await stopChild(child);
    await db.drop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
