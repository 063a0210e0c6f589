/**
 * Publication at national scale (issue 21): what approving and withdrawing a blocking request
 * cost as its size and the number of ISPs it is addressed to grow, how long each holds the feed
 * lock, and how fast an ISP then reads its feed, on a real PostgreSQL (docs/performance.md,
 * "Publication at national scale").
 *
 *   npm run bench:publish                     # builds, then: node dist/bench/publish.js
 *   node dist/bench/publish.js [--sizes 1000,100000] [--full] [--isps 2,20,60] [--runs 1]
 *                              [--page 10000] [--statement-timeout-ms N] [--skip-reads]
 *
 * `--full` adds 1,000,000 to the sizes. Goals (issue 21): 100,000 indicators to 60 ISPs approved
 * in under 5 s, 1,000,000 in under 30 s; at 100,000, approval at 60 ISPs within 1.5× of
 * approval at 2; snapshots csv, txt and rpz at least 0.95× a bare COPY of the same rows.
 *
 * The benchmark does not depend on how the feed is stored: it never reads or writes the feed's
 * tables (it only takes the feed version lock, to probe it), publishes and withdraws through the
 * API, and compares snapshots with the COPY of `snapshotCopySql`.
 *
 * Each point (size × ISPs) runs `--runs` times, each time on a scratch database of its own, so
 * that every point starts from an empty feed: with DATABASE_URL a database `bench_<random>` on
 * that server, dropped after the point; without it an embedded PostgreSQL in a temporary folder,
 * removed after it.
 * 1. The service runs as a process of its own (`node dist/src/main.js`, as `npm start`), from a
 *    private copy of the build; with `--statement-timeout-ms`, DB_STATEMENT_TIMEOUT_MS is set to
 *    it (0: off), otherwise the service's default applies. Through its API: an analyst, an
 *    approver and `--isps` ISPs, the first with an API client (the reader).
 * 2. With SQL, in publishing's tables only: `size` new indicators (domains 70 %, IPv4 20 %,
 *    IPv6 5 %, CIDR 5 %; canonical, none under a built-in protected entry; one in five with an
 *    end date) and a blocking request pending approval, addressed to the ISPs
 *    (target_organization_ids), created and submitted by the analyst, one block item per
 *    indicator, item_count set, with its history. Then VACUUM ANALYZE of those tables only,
 *    and CHECKPOINT: the feed's tables keep the statistics the service and autovacuum gave them
 *    (none, in a fresh database). An ANALYZE of the feed's empty tables would choose plans for
 *    empty tables: with today's feed tables, the publication's INSERT INTO feed_changes then
 *    scans feed_changes once per row, over every row it inserted so far, and turns quadratic
 *    (20,000 × 20 ISPs ran for more than 27 minutes), which says nothing about the design.
 * 3. Approval: POST /blocking-requests/:id/approve with the approver's token and the version read
 *    by GET, timed from the request sent to the answer read (node:http, no client timeout). The
 *    answer must say published, with one assignment per ISP. Meanwhile a probe (a pg client of
 *    its own) sends `BEGIN; SELECT last FROM feed_version FOR UPDATE NOWAIT; ROLLBACK` every
 *    2 ms: a refused span runs from the start of its first refused attempt to the start of the
 *    next granted one; the lock's hold time is the sum of the spans (and the longest is
 *    reported). The service's RSS is sampled every 20 ms: its peak above the idle RSS just
 *    before. After 1.5 s (the version watcher), the reader's change feed must start with an add
 *    of this request.
 * 4. VACUUM ANALYZE of the whole database and CHECKPOINT, as autovacuum would settle it after such
 *    a write. Reads (unless --skip-reads): for the reader, every
 *    snapshot format once per run (node:http, uncompressed, the bytes counted and dropped; a
 *    format answered with 404 is reported as not available) and, in alternating order, the
 *    bare `COPY (…) TO STDOUT` of the same rows on a plain pg client; ratio = API bytes/s ÷ COPY
 *    bytes/s. snapshot.txt must hold `size` values. Then the change feed from version 0 to the
 *    end, page after page of `--page` changes (the agent's default: 10,000), each parsed: it
 *    must hold `size` adds; changes/s.
 * 5. Withdrawal: POST /blocking-requests/:id/withdraw, timed, probed and sampled the same way.
 *    The reader's change feed must then continue with a removal (reason withdrawal) and its
 *    snapshot.txt be empty.
 * A point whose approval or withdrawal is refused (a statement timeout, say) is reported with its
 * status, time and problem, and the run goes on. Ctrl-C (SIGINT) stops the point under way (its
 * service stopped, its database dropped), which is reported as interrupted with the time it
 * had run, and reports what was measured before it: stopping at what is feasible.
 *
 * Then, per size: approval at the most ISPs ÷ approval at the fewest (withdrawal too), and the
 * goals checked against what was measured (the snapshot ratios at the largest size read: on a
 * few thousand rows the request's fixed cost outweighs them). Prints the figures, then one JSON object as the last
 * line of stdout.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { FEED_TYPES, SNAPSHOT_FORMATS, type SnapshotFormat } from '#src/feeds/feed-vocabulary.js';
import { snapshotCopySql } from '#src/feeds/snapshots/snapshot-sql.js';
import { ApiClient } from '#bench/support/api-client.js';
import { fmt, measuredCode, median, round } from '#bench/support/figures.js';
import { copyOut, send, type Read } from '#bench/support/reads.js';
import { scratchDatabase, sql } from '#bench/support/scratch-database.js';
import { idleRss, privateBuild, rss, Service } from '#bench/support/service.js';

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,100000' },
    full: { type: 'boolean', default: false },
    isps: { type: 'string', default: '2,20,60' },
    runs: { type: 'string', default: '1' },
    page: { type: 'string', default: '10000' },
    'statement-timeout-ms': { type: 'string' },
    'skip-reads': { type: 'boolean', default: false },
  },
});
const list = (text: string): number[] => text.split(',').map((x) => Number(x.trim()));
const SIZES = [...new Set([...list(opts.sizes), ...(opts.full ? [1_000_000] : [])])].sort(
  (a, b) => a - b,
);
const ISP_COUNTS = [...new Set(list(opts.isps))].sort((a, b) => a - b);
const RUNS = Number(opts.runs);
const PAGE = Number(opts.page);
const STATEMENT_TIMEOUT_MS =
  opts['statement-timeout-ms'] === undefined ? undefined : Number(opts['statement-timeout-ms']);
const SKIP_READS = opts['skip-reads'];
const int = (x: number, min: number, max: number): boolean =>
  Number.isSafeInteger(x) && x >= min && x <= max;
if (
  SIZES.some((s) => !int(s, 1, 5_000_000)) ||
  ISP_COUNTS.some((n) => !int(n, 1, 500)) ||
  !int(RUNS, 1, 20) ||
  !int(PAGE, 1, 10_000) ||
  (STATEMENT_TIMEOUT_MS !== undefined && !int(STATEMENT_TIMEOUT_MS, 0, 3_600_000))
) {
  console.error(
    'usage: node dist/bench/publish.js [--sizes 1000,100000] [--full] [--isps 2,20,60] [--runs N] [--page N] [--statement-timeout-ms N] [--skip-reads]',
  );
  process.exit(2);
}

const ADMIN_EMAIL = 'bench-admin@department.example';
const PASSWORD = randomBytes(18).toString('base64url');
/** How often the lock probe tries the feed version lock, and the service's RSS is sampled. */
const PROBE_MS = 2;
const SAMPLE_MS = 20;
/** The formats whose snapshots must keep up with a bare COPY (issue 21). */
const RATIO_FORMATS: readonly string[] = ['csv', 'txt', 'rpz'];
const RATIO_GOAL = 0.95;
const GOALS = {
  approval100kAt60S: 5,
  approval1mAt60S: 30,
  flatWithin: 1.5,
};

const mb = (bytes: number): number => round(bytes / 1e6, 1);
const seconds = (ms: number): number => round(ms / 1000, 3);

// ---------------------------------------------------------------------------------------------
// Indicators

const SHARES = { domain: 0.7, ipv4: 0.2, ipv6: 0.05, cidr: 0.05 };
type Kind = keyof typeof SHARES;
const KINDS = Object.keys(SHARES) as Kind[];

/**
 * Unique canonical values, one expression per type, from a bigint `g` (1, 2, … per type). The
 * addresses stay clear of every built-in protected range: IPv4 and CIDR start with 11–99,
 * IPv6 with 2a0e:.
 */
const VALUE_SQL: Record<Kind, string> = {
  domain: `substr(md5(g::text), 1, 6) || '-' || to_hex(g) || '.' ||
           (ARRAY['com','net','org','vn','com.vn','io','info','co.uk','de','ru'])[1 + (g % 10)::int]`,
  // Unique below 89 × 2^24.
  ipv4: `(11 + g % 89)::text || '.' || (((g / 89) >> 16) & 255)::text || '.' ||
         (((g / 89) >> 8) & 255)::text || '.' || ((g / 89) & 255)::text`,
  // RFC 5952 form: no leading zeros, the run of three zero groups compressed.
  ipv6: `'2a0e:' || to_hex(4096 + (g >> 12)::int) || ':' || to_hex(4096 + (g & 4095)::int) || ':'
         || to_hex(1 + ((g * 7919) % 65535)::int) || '::1'`,
  // Unique below 89 × 2^16.
  cidr: `(11 + g % 89)::text || '.' || (((g / 89) >> 8) & 255)::text || '.' ||
         ((g / 89) & 255)::text || '.0/24'`,
};

function mix(n: number): Record<Kind, number> {
  const counts = {} as Record<Kind, number>;
  let left = n;
  for (const kind of KINDS) {
    counts[kind] = kind === 'cidr' ? left : Math.round(n * SHARES[kind]);
    left -= counts[kind];
  }
  return counts;
}

interface Prepared {
  requestId: string;
  seconds: number;
}

/**
 * `size` new indicators and a request pending approval that blocks them all, addressed to
 * `ispIds`, as publishing would hold them after create, add items and submit (by the analyst).
 * Then the whole database vacuumed, analyzed and checkpointed.
 */
async function prepare(
  url: string,
  size: number,
  ispIds: string[],
  staff: { departmentId: string; analystId: string },
  tag: string,
): Promise<Prepared> {
  const counts = mix(size);
  const generated = KINDS.filter((kind) => counts[kind] > 0)
    .map(
      (kind) =>
        `SELECT '${kind}'::text AS type, ${VALUE_SQL[kind]} AS value, g
           FROM generate_series(1::bigint, ${counts[kind]}::bigint) g`,
    )
    .join('\nUNION ALL\n');
  const t0 = performance.now();
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  let requestId: string;
  try {
    await client.query('BEGIN');
    // In (type, value) order, as the bulk import's merge inserts; one in five with an end date.
    const inserted = await client.query(
      `INSERT INTO indicators (type, value, tlp, valid_from, valid_until, created_by, source)
       SELECT type, value, 'AMBER', now() - interval '1 hour',
              CASE WHEN g % 5 = 0 THEN now() + interval '90 days' END, $1, $2
         FROM (${generated}) s
        ORDER BY type, value`,
      [staff.analystId, tag],
    );
    if (inserted.rowCount !== size) throw new Error(`inserted ${inserted.rowCount}, not ${size}`);
    const [request] = (
      await client.query<{ id: string }>(
        `INSERT INTO blocking_requests (document_number, title, legal_basis, category, severity,
                                        status, targets_all, target_organization_ids, issued_by,
                                        created_by, submitted_by, submitted_at, item_count)
         VALUES ($1, 'Benchmark publication at national scale',
                 'Decree 53/2022/ND-CP, Article 21', 'botnet', 'high', 'pending_approval', false,
                 $2::uuid[], $3, $4, $4, now(), $5)
         RETURNING id`,
        [tag.toUpperCase(), ispIds, staff.departmentId, staff.analystId, size],
      )
    ).rows;
    requestId = request.id;
    const items = await client.query(
      `INSERT INTO blocking_request_items (request_id, indicator_id, operation)
       SELECT $1, id, 'block' FROM indicators WHERE source = $2`,
      [requestId, tag],
    );
    if (items.rowCount !== size) throw new Error(`${items.rowCount} items, not ${size}`);
    await client.query(
      `INSERT INTO blocking_request_history (request_id, from_status, to_status, actor_id)
       VALUES ($1, NULL, 'draft', $2), ($1, 'draft', 'pending_approval', $2)`,
      [requestId, staff.analystId],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  await sql(
    url,
    'VACUUM ANALYZE indicators, blocking_requests, blocking_request_items, blocking_request_history',
  );
  await sql(url, 'CHECKPOINT').catch(() => undefined);
  return { requestId, seconds: round((performance.now() - t0) / 1000, 1) };
}

/** VACUUM ANALYZE of the whole database, then a checkpoint: the next step meets settled tables. */
async function settle(url: string): Promise<void> {
  await sql(url, 'VACUUM ANALYZE');
  await sql(url, 'CHECKPOINT').catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------
// The feed lock, probed from outside

interface LockFigures {
  attempts: number;
  refused: number;
  /** Sum of the refused spans. */
  heldMs: number;
  longestMs: number;
  spans: number;
  /** From the request sent to the start of the first refused span; null when none. */
  firstRefusedAfterMs: number | null;
  /** From the end of the last refused span to the answer read. */
  freeBeforeAnswerMs: number | null;
  /** The longest gap between two attempts' starts (the probe's own resolution). */
  maxGapMs: number;
}

/**
 * A pg client of its own that tries the feed version lock every PROBE_MS without waiting
 * (`FOR UPDATE NOWAIT`, rolled back at once): refused while another transaction holds it.
 */
class LockProbe {
  private readonly attempts: { t0: number; t1: number; refused: boolean }[] = [];
  private running = true;
  private loop: Promise<void> | undefined;

  private constructor(private readonly client: pg.Client) {}

  static async start(url: string): Promise<LockProbe> {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    const probe = new LockProbe(client);
    // The first attempt before the measured call: the lock must be free then.
    if (await probe.attempt()) throw new Error('the feed lock is held before the call');
    probe.loop = probe.run();
    return probe;
  }

  /** One try; true when refused. */
  private async attempt(): Promise<boolean> {
    const t0 = performance.now();
    let refused = false;
    try {
      await this.client.query('BEGIN; SELECT last FROM feed_version FOR UPDATE NOWAIT; ROLLBACK');
    } catch (error) {
      if ((error as { code?: string }).code !== '55P03') throw error;
      refused = true;
      await this.client.query('ROLLBACK');
    }
    this.attempts.push({ t0, t1: performance.now(), refused });
    return refused;
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.attempt();
      await sleep(PROBE_MS);
    }
  }

  /** Stops the probe; the spans relative to the measured call's `sent` and `answered` times. */
  async stop(sent: number, answered: number): Promise<LockFigures> {
    this.running = false;
    await this.loop;
    await this.client.end();
    const a = this.attempts;
    const spans: { from: number; to: number }[] = [];
    let maxGapMs = 0;
    for (let i = 1; i < a.length; i++) maxGapMs = Math.max(maxGapMs, a[i].t0 - a[i - 1].t0);
    for (let i = 0; i < a.length; i++) {
      if (!a[i].refused) continue;
      let j = i;
      while (j < a.length && a[j].refused) j++;
      spans.push({ from: a[i].t0, to: j < a.length ? a[j].t0 : a[j - 1].t1 });
      i = j;
    }
    const lengths = spans.map((s) => s.to - s.from);
    return {
      attempts: a.length,
      refused: a.filter((x) => x.refused).length,
      heldMs: round(
        lengths.reduce((x, y) => x + y, 0),
        1,
      ),
      longestMs: round(Math.max(0, ...lengths), 1),
      spans: spans.length,
      firstRefusedAfterMs: spans.length > 0 ? round(spans[0].from - sent, 1) : null,
      freeBeforeAnswerMs: spans.length > 0 ? round(answered - spans.at(-1)!.to, 1) : null,
      maxGapMs: round(maxGapMs, 1),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP and COPY

function json<T>(read: Read): T {
  return JSON.parse(read.body!.toString('utf8')) as T;
}

// ---------------------------------------------------------------------------------------------
// Approval and withdrawal

interface Change {
  version: number;
  op: 'add' | 'remove';
  reason: string;
  requestId: string | null;
}

interface ChangesPage {
  after: number;
  next: number;
  more: boolean;
  currentVersion: number;
  changes: Change[];
}

interface Timed {
  status: number;
  ok: boolean;
  seconds: number;
  /** The problem's detail when refused. */
  problem?: string;
  lock: LockFigures;
  idleRss: number;
  peakRssAboveIdle: number;
}

/** A POST on the request, timed, with the lock probe and the service's RSS sampled meanwhile. */
async function timedPost(
  service: Service,
  dbUrl: string,
  route: string,
  token: string,
  body: object,
  expected: string,
): Promise<Timed> {
  const idle = await idleRss(service.pid, 500, 500);
  const probe = await LockProbe.start(dbUrl);
  let peak = rss(service.pid);
  /** 0 once the service is gone (stopped by SIGINT). */
  const sample = (): number => {
    try {
      return rss(service.pid);
    } catch {
      return 0;
    }
  };
  const timer = setInterval(() => {
    peak = Math.max(peak, sample());
  }, SAMPLE_MS);
  const sent = performance.now();
  let read: Read;
  try {
    read = await send(
      'POST',
      `${service.base}${route}`,
      { authorization: `Bearer ${token}` },
      {
        body: JSON.stringify(body),
        keep: true,
      },
    );
  } catch (error) {
    await probe.stop(sent, performance.now()).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(timer);
  }
  const answered = sent + read.ms;
  // A few more attempts after the answer: the lock must be free by then.
  await sleep(10);
  const lock = await probe.stop(sent, answered);
  peak = Math.max(peak, sample());
  const text = read.body!.toString('utf8');
  let answer: { status?: string; detail?: string } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    // not JSON: reported as it is below
  }
  const ok = read.status === 200 && answer.status === expected;
  return {
    status: read.status,
    ok,
    seconds: seconds(read.ms),
    problem: ok ? undefined : (answer.detail ?? text.slice(0, 500)),
    lock,
    idleRss: idle,
    peakRssAboveIdle: peak - idle,
  };
}

// ---------------------------------------------------------------------------------------------
// Reads

interface FormatRead {
  format: string;
  available: boolean;
  api?: { bytes: number; lines: number; seconds: number; mbps: number; rowsPerS: number };
  copy?: { bytes: number; lines: number; seconds: number; mbps: number };
  /** API bytes/s ÷ COPY bytes/s. */
  ratio?: number;
  /** COPY seconds ÷ API seconds (rows/s ÷ rows/s: the same rows). */
  rowsRatio?: number;
}

interface Reads {
  version: number;
  formats: FormatRead[];
  changes: {
    pages: number;
    changes: number;
    bytes: number;
    seconds: number;
    changesPerS: number;
    mbps: number;
  };
}

/** Every snapshot format against its bare COPY, then the change feed from 0, for the reader. */
async function reads(
  service: Service,
  dbUrl: string,
  token: string,
  ispId: string,
  departmentId: string,
  size: number,
  requestId: string,
): Promise<Reads> {
  const auth = { authorization: `Bearer ${token}` };
  const url = (format: string, query = ''): string =>
    `${service.base}/api/v1/feed/snapshot.${format}${query}`;
  const client = new pg.Client({ connectionString: dbUrl });
  client.on('error', () => undefined);
  await client.connect();
  let version = 0;
  const formats: FormatRead[] = [];
  try {
    // Warm-up: each format once on a small type (the code paths), the rows once (the caches).
    const available = new Map<SnapshotFormat, boolean>();
    for (const format of SNAPSHOT_FORMATS) {
      const r = await send('GET', url(format, '?types=cidr'), auth);
      if (r.status !== 200 && r.status !== 404) {
        throw new Error(`snapshot.${format} answered ${r.status}`);
      }
      available.set(format, r.status === 200);
    }
    await copyOut(client, snapshotCopySql('txt', ispId, FEED_TYPES));
    for (const [i, format] of SNAPSHOT_FORMATS.entries()) {
      if (!available.get(format)) {
        formats.push({ format, available: false });
        continue;
      }
      const baseline = snapshotCopySql(format, ispId, FEED_TYPES, departmentId);
      let api: Read | undefined;
      let copy: Read | undefined;
      // Alternating order, so that neither side always meets the caches the other warmed.
      for (const side of i % 2 === 0 ? ['api', 'copy'] : ['copy', 'api']) {
        if (side === 'api') api = await send('GET', url(format), auth);
        else copy = await copyOut(client, baseline);
      }
      if (api!.status !== 200) throw new Error(`snapshot.${format} answered ${api!.status}`);
      version = Number(api!.headers['x-feed-version']);
      if (format === 'txt') {
        // Two comment lines, then one value per line.
        if (api!.lines - 2 !== size) {
          throw new Error(`snapshot.txt has ${api!.lines - 2} values, not ${size}`);
        }
        if (copy!.lines !== size) throw new Error(`COPY read ${copy!.lines} rows, not ${size}`);
      }
      const a = { bytes: api!.bytes, lines: api!.lines, seconds: seconds(api!.ms) };
      const c = { bytes: copy!.bytes, lines: copy!.lines, seconds: seconds(copy!.ms) };
      const apiMbps = api!.bytes / api!.ms / 1000;
      const copyMbps = copy!.bytes / copy!.ms / 1000;
      formats.push({
        format,
        available: true,
        api: {
          ...a,
          mbps: round(apiMbps, 1),
          rowsPerS: round(size / (api!.ms / 1000)),
        },
        copy: { ...c, mbps: round(copyMbps, 1) },
        ratio: round(apiMbps / copyMbps, 3),
        rowsRatio: round(copy!.ms / api!.ms, 3),
      });
    }
  } finally {
    await client.end();
  }

  // The change feed, page after page, as an agent starting from nothing reads it.
  let after = 0;
  let pages = 0;
  let changes = 0;
  let adds = 0;
  let bytes = 0;
  const t0 = performance.now();
  for (;;) {
    const r = await send(
      'GET',
      `${service.base}/api/v1/feed/changes?after=${after}&limit=${PAGE}`,
      auth,
      { keep: true },
    );
    if (r.status !== 200) throw new Error(`changes after=${after} answered ${r.status}`);
    const page = json<ChangesPage>(r);
    pages++;
    bytes += r.bytes;
    changes += page.changes.length;
    adds += page.changes.filter((c) => c.op === 'add' && c.requestId === requestId).length;
    after = page.next;
    if (!page.more) break;
  }
  const ms = performance.now() - t0;
  if (adds !== size) throw new Error(`the change feed holds ${adds} adds, not ${size}`);
  return {
    version,
    formats,
    changes: {
      pages,
      changes,
      bytes,
      seconds: seconds(ms),
      changesPerS: round(changes / (ms / 1000)),
      mbps: round(bytes / ms / 1000, 1),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One point

interface Point {
  size: number;
  isps: number;
  run: number;
  database: string;
  preparedS: number;
  approval: Timed & { assignments?: number };
  /** The committed feed version before and after the approval and after the withdrawal. */
  versions: { before: number; approved?: number; withdrawn?: number };
  reads?: Reads;
  withdrawal?: Timed;
}

/** The point under way: what SIGINT stops. */
let current:
  { size: number; isps: number; service?: Service; step: string; stepSince: number } | undefined;
let interrupted: number | undefined;

function step(name: string): void {
  if (interrupted !== undefined) throw new Error('interrupted');
  current!.step = name;
  current!.stepSince = performance.now();
}

async function point(root: string, size: number, isps: number, run: number): Promise<Point> {
  const tag = `bench-publish-${randomBytes(3).toString('hex')}`;
  current = { size, isps, step: 'setup', stepSince: performance.now() };
  const db = await scratchDatabase();
  let service: Service | undefined;
  try {
    step('setup');
    service = current.service = await Service.start(root, db.url, {
      logLevel: process.env.BENCH_LOG_LEVEL ?? 'error',
      adminEmail: ADMIN_EMAIL,
      password: PASSWORD,
      env:
        STATEMENT_TIMEOUT_MS === undefined
          ? undefined
          : { DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) },
    });
    const api = new ApiClient(service.base, PASSWORD);

    // ---- accounts, through the API
    const [{ organization_id: departmentId }] = await sql<{ organization_id: string }>(
      db.url,
      'SELECT organization_id FROM users WHERE email = $1',
      [ADMIN_EMAIL],
    );
    const run6 = tag.slice(-6);
    const accounts = await api.accounts(ADMIN_EMAIL, departmentId, run6);
    const analyst = await accounts.user('analyst');
    const approver = await accounts.user('approver');
    const reader = await accounts.isp('reader');
    const ispIds = [reader.id];
    for (let i = 1; i < isps; i++) {
      const org = await api.expect<{ id: string }>(
        201,
        'POST',
        '/api/v1/organizations',
        accounts.admin,
        { kind: 'isp', name: `Bench ISP ${run6} ${i}`, shortCode: `B${run6}-${i}`.toUpperCase() },
      );
      ispIds.push(org.id);
    }
    const readerToken = await api.clientToken(reader.client.clientId, reader.client.clientSecret);
    const changesAfter = (after: number, limit: number): Promise<ChangesPage> =>
      api.expect<ChangesPage>(
        200,
        'GET',
        `/api/v1/feed/changes?after=${after}&limit=${limit}`,
        readerToken,
      );

    // ---- the request, with SQL in publishing's tables
    const prepared = await prepare(
      db.url,
      size,
      ispIds,
      { departmentId, analystId: analyst.id },
      tag,
    );
    const route = `/api/v1/blocking-requests/${prepared.requestId}`;
    const pending = await api.expect<{ status: string; version: number; itemCount: number }>(
      200,
      'GET',
      route,
      approver.token,
    );
    if (pending.status !== 'pending_approval' || pending.itemCount !== size) {
      throw new Error(`the request is ${pending.status} with ${pending.itemCount} items`);
    }
    const before = (await changesAfter(0, 1)).currentVersion;
    step('approval');

    // ---- approval
    const approval = await timedPost(
      service,
      db.url,
      `${route}/approve`,
      approver.token,
      { version: pending.version },
      'published',
    );
    const result: Point = {
      size,
      isps,
      run,
      database: db.where,
      preparedS: prepared.seconds,
      approval,
      versions: { before },
    };
    if (!approval.ok) return result;
    const published = await api.expect<{ version: number; assignments: unknown[] }>(
      200,
      'GET',
      route,
      approver.token,
    );
    result.approval.assignments = published.assignments.length;
    if (published.assignments.length !== isps) {
      throw new Error(`${published.assignments.length} assignments, not ${isps}`);
    }
    await sleep(1500); // the service's version watcher polls every second
    const first = await changesAfter(before, 1);
    if (first.changes[0]?.op !== 'add' || first.changes[0].requestId !== prepared.requestId) {
      throw new Error(`the reader's feed does not start with this request's add after ${before}`);
    }
    const approved = first.currentVersion;
    result.versions.approved = approved;
    await settle(db.url);

    // ---- reads
    if (!SKIP_READS) {
      step('reads');
      result.reads = await reads(
        service,
        db.url,
        readerToken,
        reader.id,
        departmentId,
        size,
        prepared.requestId,
      );
      if (result.reads.version !== approved) {
        throw new Error(`the snapshots are at version ${result.reads.version}, not ${approved}`);
      }
    }

    // ---- withdrawal
    step('withdrawal');
    result.withdrawal = await timedPost(
      service,
      db.url,
      `${route}/withdraw`,
      approver.token,
      { version: published.version, reason: 'Benchmark: withdrawal at national scale' },
      'withdrawn',
    );
    if (!result.withdrawal.ok) return result;
    await sleep(1500);
    const removal = await changesAfter(approved, 1);
    const change = removal.changes[0];
    if (
      change?.op !== 'remove' ||
      change.reason !== 'withdrawal' ||
      change.requestId !== prepared.requestId
    ) {
      throw new Error(`the reader's feed does not go on with a withdrawal after ${approved}`);
    }
    result.versions.withdrawn = removal.currentVersion;
    const empty = await send('GET', `${service.base}/api/v1/feed/snapshot.txt`, {
      authorization: `Bearer ${readerToken}`,
    });
    if (empty.status !== 200 || empty.lines !== 2) {
      throw new Error(`snapshot.txt after the withdrawal: ${empty.status}, ${empty.lines} lines`);
    }
    return result;
  } finally {
    await service?.stop();
    await db.drop();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function lockText(lock: LockFigures): string {
  return lock.spans === 0
    ? `lock never refused (${lock.attempts} tries)`
    : `lock held ${seconds(lock.heldMs)} s in ${lock.spans} span(s), longest ${seconds(lock.longestMs)} s, refused from ${seconds(lock.firstRefusedAfterMs!)} s after the call to ${seconds(lock.freeBeforeAnswerMs!)} s before the answer (${lock.attempts} tries, gap ≤ ${lock.maxGapMs} ms)`;
}

function timedText(name: string, t: Timed): string {
  if (!t.ok) {
    return `${name} REFUSED: ${t.status} after ${t.seconds} s: ${t.problem}; ${lockText(t.lock)}`;
  }
  return `${name} ${t.seconds} s; ${lockText(t.lock)}; service RSS +${mb(t.peakRssAboveIdle)} MB`;
}

function printPoint(p: Point): void {
  console.log(
    `\n${fmt(p.size)} indicators × ${p.isps} ISPs (run ${p.run + 1}; prepared in ${p.preparedS} s)`,
  );
  console.log(`  ${timedText('approval  ', p.approval)}`);
  if (p.withdrawal) console.log(`  ${timedText('withdrawal', p.withdrawal)}`);
  console.log(
    `  feed version ${fmt(p.versions.before)} → ${p.versions.approved === undefined ? '?' : fmt(p.versions.approved)} (approved) → ${p.versions.withdrawn === undefined ? '?' : fmt(p.versions.withdrawn)} (withdrawn)`,
  );
  if (!p.reads) return;
  console.log(
    '  format   API bytes      API s     API MB/s   API rows/s   COPY bytes     COPY s    COPY MB/s  bytes/s ratio',
  );
  for (const f of p.reads.formats) {
    if (!f.available || !f.api || !f.copy) {
      console.log(`  ${f.format.padEnd(9)}not available (the route answers 404)`);
      continue;
    }
    const flag =
      RATIO_FORMATS.includes(f.format) && f.ratio! < RATIO_GOAL ? `  < ${RATIO_GOAL}` : '';
    console.log(
      '  ' +
        f.format.padEnd(9) +
        fmt(f.api.bytes).padEnd(15) +
        String(f.api.seconds).padEnd(10) +
        String(f.api.mbps).padEnd(11) +
        fmt(f.api.rowsPerS).padEnd(13) +
        fmt(f.copy.bytes).padEnd(15) +
        String(f.copy.seconds).padEnd(10) +
        String(f.copy.mbps).padEnd(11) +
        `${f.ratio}×${flag}`,
    );
  }
  const c = p.reads.changes;
  console.log(
    `  changes from 0: ${fmt(c.changes)} in ${c.pages} page(s) of ≤ ${fmt(PAGE)}, ${fmt(c.bytes)} bytes in ${c.seconds} s = ${fmt(c.changesPerS)} changes/s (${c.mbps} MB/s)`,
  );
}

interface SizeSummary {
  size: number;
  /** ISP count → median seconds over the runs (refused runs left out). */
  approvalS: Record<string, number | null>;
  withdrawalS: Record<string, number | null>;
  lockHeldS: Record<string, number | null>;
  /** At the most ISPs ÷ at the fewest. */
  approvalRatio: number | null;
  withdrawalRatio: number | null;
}

function summarize(points: Point[]): SizeSummary[] {
  const lo = ISP_COUNTS[0];
  const hi = ISP_COUNTS.at(-1)!;
  const med = (xs: number[]): number | null => (xs.length === 0 ? null : round(median(xs), 3));
  return SIZES.map((size) => {
    const at = (isps: number) => points.filter((p) => p.size === size && p.isps === isps);
    const approvalS: Record<string, number | null> = {};
    const withdrawalS: Record<string, number | null> = {};
    const lockHeldS: Record<string, number | null> = {};
    for (const isps of ISP_COUNTS) {
      const ok = at(isps).filter((p) => p.approval.ok);
      approvalS[isps] = med(ok.map((p) => p.approval.seconds));
      lockHeldS[isps] = med(ok.map((p) => p.approval.lock.heldMs / 1000));
      withdrawalS[isps] = med(
        at(isps).flatMap((p) => (p.withdrawal?.ok ? [p.withdrawal.seconds] : [])),
      );
    }
    const ratio = (m: Record<string, number | null>): number | null =>
      m[hi] !== null && m[lo] !== null && lo !== hi ? round(m[hi] / m[lo], 2) : null;
    return {
      size,
      approvalS,
      withdrawalS,
      lockHeldS,
      approvalRatio: ratio(approvalS),
      withdrawalRatio: ratio(withdrawalS),
    };
  });
}

interface Goal {
  goal: string;
  measured: string;
  met: boolean | null;
}

function goals(points: Point[], summary: SizeSummary[]): Goal[] {
  const out: Goal[] = [];
  const approvalAt = (size: number, isps: number): number | null | undefined =>
    summary.find((s) => s.size === size)?.approvalS[isps];
  const refused = (size: number, isps: number): boolean =>
    points.some((p) => p.size === size && p.isps === isps && !p.approval.ok);
  const under = (size: number, limit: number): void => {
    if (!SIZES.includes(size) || !ISP_COUNTS.includes(60)) return;
    const s = approvalAt(size, 60);
    out.push({
      goal: `${fmt(size)} indicators to 60 ISPs approved in under ${limit} s`,
      measured: s === null || s === undefined ? (refused(size, 60) ? 'refused' : 'n/a') : `${s} s`,
      met: s === null || s === undefined ? (refused(size, 60) ? false : null) : s < limit,
    });
  };
  under(100_000, GOALS.approval100kAt60S);
  under(1_000_000, GOALS.approval1mAt60S);
  const at100k = summary.find((s) => s.size === 100_000);
  if (at100k && ISP_COUNTS.includes(2) && ISP_COUNTS.includes(60)) {
    const a = at100k.approvalS[60];
    const b = at100k.approvalS[2];
    const r = a !== null && b !== null ? round(a / b, 2) : null;
    out.push({
      goal: `approval of 100,000 flat within ${GOALS.flatWithin}× from 2 to 60 ISPs`,
      measured: r === null ? 'n/a' : `${r}×`,
      met: r === null ? null : r <= GOALS.flatWithin,
    });
  }
  // At the largest size read: below it, the request's fixed cost (a few ms) outweighs the rows.
  const read = points.filter((p) => p.reads);
  const largest = Math.max(...read.map((p) => p.size));
  const ratios = read
    .filter((p) => p.size === largest)
    .flatMap((p) =>
      p.reads!.formats.filter((f) => RATIO_FORMATS.includes(f.format) && f.ratio !== undefined),
    );
  if (ratios.length > 0) {
    const worst = Math.min(...ratios.map((f) => f.ratio!));
    out.push({
      goal: `snapshots ${RATIO_FORMATS.join('/')} at least ${RATIO_GOAL}× a bare COPY (at ${fmt(largest)} rows)`,
      measured: `lowest ${worst}×`,
      met: worst >= RATIO_GOAL,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  // Whatever else runs on the machine skews every figure: the load averages say how much.
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  const code = measuredCode(['src', 'migrations']);
  const work = await mkdtemp(path.join(os.tmpdir(), 'threat-exchange-bench-publish-'));
  const points: Point[] = [];
  const t0 = performance.now();
  let server: { version: string; settings: Record<string, string> } | undefined;
  let stopped:
    { size: number; isps: number; run: number; step: string; afterS: number } | undefined;
  try {
    const root = await privateBuild(work);
    if (process.env.DATABASE_URL) {
      const rows = await sql<{ name: string; setting: string }>(
        process.env.DATABASE_URL,
        `SELECT name, setting FROM pg_settings
          WHERE name IN ('server_version', 'jit', 'shared_buffers', 'work_mem', 'max_wal_size',
                         'synchronous_commit')`,
      );
      const settings = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
      server = { version: settings.server_version, settings };
    }
    console.log(
      `sizes ${SIZES.map(fmt).join(', ')} × ISPs ${ISP_COUNTS.join(', ')}, ${RUNS} run(s) each; DB_STATEMENT_TIMEOUT_MS ${STATEMENT_TIMEOUT_MS ?? "the service's default"}${SKIP_READS ? '; reads skipped' : ''}`,
    );
    process.once('SIGINT', () => {
      interrupted = performance.now();
      console.log('\ninterrupted: stopping the point under way');
      void current?.service?.stop();
    });
    measure: for (const size of SIZES) {
      for (const isps of ISP_COUNTS) {
        for (let run = 0; run < RUNS; run++) {
          try {
            const p = await point(root, size, isps, run);
            printPoint(p);
            points.push(p);
          } catch (error) {
            if (interrupted === undefined) throw error;
            stopped = {
              size,
              isps,
              run,
              step: current!.step,
              afterS: round((interrupted - current!.stepSince) / 1000, 1),
            };
            console.log(
              `\n${fmt(size)} indicators × ${isps} ISPs (run ${run + 1}): interrupted in the ${stopped.step}, ${stopped.afterS} s after it began; the points after it were not measured`,
            );
            break measure;
          }
        }
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const summary = summarize(points);
  const checked = goals(points, summary);
  const lo = ISP_COUNTS[0];
  const hi = ISP_COUNTS.at(-1)!;
  console.log(
    `\nmedian seconds per size (approval / withdrawal / feed lock held at approval), by ISPs`,
  );
  for (const s of summary) {
    const cells = ISP_COUNTS.map(
      (n) =>
        `${n} ISPs ${s.approvalS[n] ?? '–'} / ${s.withdrawalS[n] ?? '–'} / ${s.lockHeldS[n] ?? '–'} s`,
    );
    console.log(
      `${fmt(s.size).padEnd(10)} ${cells.join('   ')}   approval ${hi}÷${lo} ISPs: ${s.approvalRatio ?? '–'}×, withdrawal: ${s.withdrawalRatio ?? '–'}×`,
    );
  }
  for (const g of checked) {
    console.log(
      `goal: ${g.goal}: ${g.measured} (${g.met === null ? 'not measured' : g.met ? 'met' : 'NOT met'})`,
    );
  }
  const cpus = os.cpus();
  const result = {
    date: new Date().toISOString(),
    code,
    database: process.env.DATABASE_URL
      ? 'DATABASE_URL server, a scratch database per point'
      : 'embedded PostgreSQL, a scratch instance per point',
    node: process.version,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    ramGiB: round(os.totalmem() / 2 ** 30, 1),
    loadAverage: { before: loadBefore, after: os.loadavg().map((x) => round(x, 2)) },
    postgres: server,
    logLevel: process.env.BENCH_LOG_LEVEL ?? 'error',
    sizes: SIZES,
    isps: ISP_COUNTS,
    runs: RUNS,
    page: PAGE,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS ?? null,
    elapsedS: round((performance.now() - t0) / 1000),
    interrupted: stopped ?? null,
    points,
    summary,
    goals: checked,
  };
  console.log(
    `\ncode          commit ${code.commit}${code.uncommitted.length > 0 ? ` with uncommitted changes to ${code.uncommitted.join(', ')}` : ''}`,
  );
  console.log(
    `database      ${result.database}${server ? ` (PostgreSQL ${server.version}, jit ${server.settings.jit}, shared_buffers ${server.settings.shared_buffers} × 8 kB)` : ''}`,
  );
  console.log(
    `machine       ${result.cpu}, ${result.cores} cores, ${result.ramGiB} GiB, Node ${result.node}`,
  );
  console.log(
    `load average  ${result.loadAverage.before.join(' ')} before, ${result.loadAverage.after.join(' ')} after (1, 5, 15 min); ${result.elapsedS} s in all`,
  );
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
