/**
 * Matching connection rows to units by network (docs/units-and-incidents.md): the in-memory
 * longest-prefix UnitMatcher against PostgreSQL's inet GiST join of the same rows.
 *
 *   npm run bench:units                        # builds, then: node dist/bench/unit-match.js
 *   node dist/bench/unit-match.js [--networks 100000] [--rows 1000000] [--runs 3] [--pg-rows 200000]
 *
 * Generated (same values every run): `--networks` non-overlapping unit networks, 90 % IPv4
 * (/20–/30) and 10 % IPv6 (/48–/64), with gaps between them; `--rows` addresses, 90 % inside a
 * random network, 10 % in the gaps (matching no unit).
 *
 * (a) UnitMatcher.build over the networks; (b) match() of every row (address text → unit). The
 * floor, measured the same way in the same run: reading every character of every address (any
 * matcher must read its input). (c) PostgreSQL (DATABASE_URL's server, a scratch database; or
 * an embedded PostgreSQL): the networks and rows COPYed into tables, a GiST index
 * `USING gist (network inet_ops)`, ANALYZE, then the longest-prefix join, both as
 * `DISTINCT ON (r.id) … ORDER BY r.id, masklen DESC` and as `LATERAL (… ORDER BY masklen DESC
 * LIMIT 1)`, aggregated in the server (count and a checksum of (row, unit)), over the first
 * `--pg-rows` rows (every row is COPYed; the join, about 10 µs a row, would take minutes over a
 * million): rows per second are compared. Both must agree with the matcher on that prefix's
 * count and checksum, and on every row of a 1,000-row sample of all the rows.
 *
 * Prints the figures, writes reports/unit-match.json, then prints the same JSON object as the
 * last line of stdout.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { UnitMatcher } from '#src/response/units/unit-matcher.js';
import { fmt, measuredCode, median, round } from '#bench/support/figures.js';
import { prng } from '#bench/support/prng.js';
import { scratchDatabase } from '#bench/support/scratch-database.js';

const { values: opts } = parseArgs({
  options: {
    networks: { type: 'string', default: '100000' },
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    'pg-rows': { type: 'string', default: '200000' },
  },
});
const NETWORKS = Number(opts.networks);
const ROWS = Number(opts.rows);
const RUNS = Number(opts.runs);
/** Rows joined in PostgreSQL (the first ones): its join is slow enough to take a prefix. */
const PG_ROWS = Math.min(ROWS, Number(opts['pg-rows']));
if (
  ![NETWORKS, ROWS, RUNS, PG_ROWS].every(Number.isSafeInteger) ||
  PG_ROWS < 1000 ||
  NETWORKS < 10 ||
  NETWORKS > 1_000_000 ||
  ROWS < 1000 ||
  ROWS > 10_000_000 ||
  RUNS < 1 ||
  RUNS > 20
) {
  console.error(
    'usage: node dist/bench/unit-match.js [--networks N] [--rows N] [--runs N ≤ 20] [--pg-rows N]',
  );
  process.exit(2);
}
const SAMPLE = 1000;

const random = prng(20261206);
const int = (n: number): number => Math.floor(random() * n);

function v4Text(n: number): string {
  return `${Math.floor(n / 16777216)}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

function v6Text(n: bigint): string {
  const groups: string[] = [];
  for (let k = 7; k >= 0; k--) groups.push(((n >> BigInt(16 * k)) & 0xffffn).toString(16));
  return groups.join(':');
}

interface Generated {
  networks: { unitId: string; network: string }[];
  /** Unit number (1-based) of each network, for the database. */
  units: number[];
  rows: string[];
  /** The unit number each row must match (0: none). */
  expected: Int32Array;
}

/** Non-overlapping networks with gaps, then rows inside them (90 %) or in the gaps (10 %). */
function generate(): Generated {
  const networks: { unitId: string; network: string }[] = [];
  const units: number[] = [];
  const v4: { start: number; size: number; unit: number }[] = [];
  const v6: { start: bigint; size: bigint; unit: number }[] = [];
  const v4Gaps: [number, number][] = [];
  const v6Gaps: [bigint, bigint][] = [];
  let cursor4 = 0x01000000; // 1.0.0.0
  let cursor6 = 0x2a00n << 112n;
  for (let i = 0; i < NETWORKS; i++) {
    // Units hold a few networks each: about 30,000 units for 100,000 networks.
    const unit = 1 + Math.floor(i / 3.3);
    if (i % 10 !== 9) {
      const prefix = 20 + int(11);
      const size = 2 ** (32 - prefix);
      const start = Math.ceil(cursor4 / size) * size;
      if (start > cursor4) v4Gaps.push([cursor4, start - 1]);
      v4.push({ start, size, unit });
      networks.push({ unitId: String(unit), network: `${v4Text(start)}/${prefix}` });
      cursor4 = start + size;
      const gap = int(size * 2);
      if (gap > 0) v4Gaps.push([cursor4, cursor4 + gap - 1]);
      cursor4 += gap;
    } else {
      const prefix = 48 + int(17);
      const size = 1n << BigInt(128 - prefix);
      const start = ((cursor6 + size - 1n) / size) * size;
      if (start > cursor6) v6Gaps.push([cursor6, start - 1n]);
      v6.push({ start, size, unit });
      networks.push({ unitId: String(unit), network: `${v6Text(start)}/${prefix}` });
      cursor6 = start + size;
      const gap = (size * BigInt(int(1000))) / 500n;
      if (gap > 0n) v6Gaps.push([cursor6, cursor6 + gap - 1n]);
      cursor6 += gap;
    }
    units.push(unit);
  }
  if (cursor4 > 2 ** 32) throw new Error('too many IPv4 networks for the address space');
  const rows: string[] = new Array<string>(ROWS);
  const expected = new Int32Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    const inside = random() < 0.9;
    const ipv6 = random() < 0.1;
    if (inside && !ipv6) {
      const n = v4[int(v4.length)];
      rows[r] = v4Text(n.start + int(n.size));
      expected[r] = n.unit;
    } else if (inside) {
      const n = v6[int(v6.length)];
      rows[r] = v6Text(n.start + (BigInt(int(2 ** 30)) * n.size) / 2n ** 30n);
      expected[r] = n.unit;
    } else if (!ipv6) {
      const [a, b] = v4Gaps[int(v4Gaps.length)];
      rows[r] = v4Text(a + int(b - a + 1));
    } else {
      const [a, b] = v6Gaps[int(v6Gaps.length)];
      rows[r] = v6Text(a + (BigInt(int(2 ** 30)) * (b - a + 1n)) / 2n ** 30n);
    }
  }
  return { networks, units, rows, expected };
}

/** Milliseconds of `work`, `RUNS` times: the median, and the last result. */
function timed<T>(work: () => T): { ms: number; result: T } {
  const times: number[] = [];
  let result: T | undefined;
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    result = work();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), result: result! };
}

/** count and Σ row·unit (1-based row numbers), exact, as PostgreSQL computes them. */
function checksum(units: ArrayLike<number>, rows: number): { count: number; checksum: string } {
  let count = 0;
  let sum = 0n;
  for (let r = 0; r < rows; r++) {
    if (units[r] === 0) continue;
    count++;
    sum += BigInt(r + 1) * BigInt(units[r]);
  }
  return { count, checksum: sum.toString() };
}

/** COPY text lines in batches. */
function* lines<T>(items: readonly T[], line: (item: T, index: number) => string) {
  let batch: string[] = [];
  for (let i = 0; i < items.length; i++) {
    batch.push(line(items[i], i));
    if (batch.length === 10_000) {
      yield batch.join('');
      batch = [];
    }
  }
  if (batch.length > 0) yield batch.join('');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const data = generate();
  const generateMs = performance.now() - t0;
  const v6Rows = data.rows.filter((r) => r.includes(':')).length;

  // ---- (a) build
  const build = timed(() => UnitMatcher.build(data.networks));
  const matcher = build.result;

  // ---- floor: read every character of every address
  const floor = timed(() => {
    let acc = 0;
    for (const row of data.rows) {
      for (let i = 0; i < row.length; i++) acc = (acc + row.charCodeAt(i)) | 0;
    }
    return acc;
  });

  // ---- (b) match
  const match = timed(() => {
    const got = new Int32Array(ROWS);
    for (let r = 0; r < ROWS; r++) {
      const m = matcher.match(data.rows[r]);
      got[r] = m === null ? 0 : Number(m.unitId);
    }
    return got;
  });
  const got = match.result;
  let mismatches = 0;
  for (let r = 0; r < ROWS; r++) if (got[r] !== data.expected[r]) mismatches++;
  if (mismatches > 0)
    throw new Error(`the matcher disagrees with the generator on ${mismatches} rows`);
  const memory = checksum(got, ROWS);
  const memoryPrefix = checksum(got, PG_ROWS);
  // Per family, once: where the time goes.
  const family = (rows: string[]): number => {
    const f0 = performance.now();
    for (const row of rows) matcher.match(row);
    return performance.now() - f0;
  };
  const v4Only = data.rows.filter((r) => !r.includes(':'));
  const v6Only = data.rows.filter((r) => r.includes(':'));
  const v4Ms = family(v4Only);
  const v6Ms = family(v6Only);

  // ---- (c) PostgreSQL
  const db = await scratchDatabase();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let pgResult: Record<string, unknown>;
  try {
    const [{ version }] = (
      await client.query<{ version: string }>("SELECT current_setting('server_version') AS version")
    ).rows;
    await client.query(`CREATE TABLE n (unit int NOT NULL, network cidr NOT NULL)`);
    await client.query(`CREATE TABLE r (id int PRIMARY KEY, address inet NOT NULL)`);
    const c0 = performance.now();
    await pipeline(
      Readable.from(lines(data.networks, (n, i) => `${data.units[i]}\t${n.network}\n`)),
      client.query(copyFrom('COPY n (unit, network) FROM STDIN')),
    );
    await pipeline(
      Readable.from(lines(data.rows, (address, i) => `${i + 1}\t${address}\n`)),
      client.query(copyFrom('COPY r (id, address) FROM STDIN')),
    );
    const copyMs = performance.now() - c0;
    const i0 = performance.now();
    await client.query(`CREATE INDEX n_network ON n USING gist (network inet_ops)`);
    await client.query('ANALYZE n');
    await client.query('ANALYZE r');
    const indexMs = performance.now() - i0;

    const queries = {
      distinctOn: `SELECT count(*)::int AS count, coalesce(sum(id::bigint * unit), 0)::text AS checksum
                     FROM (SELECT DISTINCT ON (r.id) r.id, n.unit
                             FROM r JOIN n ON n.network >>= r.address
                            WHERE r.id <= $1
                            ORDER BY r.id, masklen(n.network) DESC) x`,
      lateral: `SELECT count(*)::int AS count, coalesce(sum(r.id::bigint * m.unit), 0)::text AS checksum
                  FROM r CROSS JOIN LATERAL (SELECT n.unit FROM n WHERE n.network >>= r.address
                                              ORDER BY masklen(n.network) DESC LIMIT 1) m
                 WHERE r.id <= $1`,
    };
    const joins: Record<string, { ms: number; count: number; checksum: string; plan: string }> = {};
    for (const [name, text] of Object.entries(queries)) {
      const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, [PG_ROWS])).rows
        .map((row) => row['QUERY PLAN'])
        .join('\n');
      const j0 = performance.now();
      const [row] = (await client.query<{ count: number; checksum: string }>(text, [PG_ROWS])).rows;
      joins[name] = { ms: performance.now() - j0, ...row, plan };
      if (row.count !== memoryPrefix.count || row.checksum !== memoryPrefix.checksum) {
        throw new Error(
          `PostgreSQL (${name}) disagrees: ${JSON.stringify(row)} vs ${JSON.stringify(memoryPrefix)}`,
        );
      }
    }
    // A sample, row by row.
    const ids = Array.from({ length: SAMPLE }, () => 1 + int(ROWS));
    const sample = (
      await client.query<{ id: number; unit: number | null }>(
        `SELECT s.id, (SELECT n.unit FROM r JOIN n ON n.network >>= r.address WHERE r.id = s.id
                        ORDER BY masklen(n.network) DESC LIMIT 1) AS unit
           FROM unnest($1::int[]) AS s(id)`,
        [ids],
      )
    ).rows;
    const sampleMismatches = sample.filter((s) => (s.unit ?? 0) !== got[s.id - 1]).length;
    if (sampleMismatches > 0) throw new Error(`${sampleMismatches} sample rows disagree`);
    pgResult = { version, copyMs, indexMs, joins, sample: SAMPLE, sampleMismatches };
  } finally {
    await client.end();
    await db.drop();
  }

  const joins = pgResult.joins as Record<string, { ms: number }>;
  const bestPgMs = Math.min(...Object.values(joins).map((j) => j.ms));
  const rate = (ms: number, rows = ROWS): number => Math.round(rows / (ms / 1000));
  const pgRate = rate(bestPgMs, PG_ROWS);
  const result = {
    bench: 'unit-match',
    at: new Date().toISOString(),
    code: measuredCode(['src/response/units', 'bench/unit-match.ts']),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    database: db.where,
    networks: NETWORKS,
    ipv6Networks: data.networks.filter((n) => n.network.includes(':')).length,
    rows: ROWS,
    ipv6Rows: v6Rows,
    matched: memory.count,
    unmatched: ROWS - memory.count,
    runs: RUNS,
    generateMs: round(generateMs),
    buildMs: round(build.ms, 1),
    floorMs: round(floor.ms, 1),
    matchMs: round(match.ms, 1),
    matchRowsPerSecond: rate(match.ms),
    matchOverFloor: round(match.ms / floor.ms, 1),
    matchIpv4RowsPerSecond: rate(v4Ms, v4Only.length),
    matchIpv6RowsPerSecond: rate(v6Ms, v6Only.length),
    postgres: {
      version: pgResult.version,
      copyMs: round(pgResult.copyMs as number),
      indexAndAnalyzeMs: round(pgResult.indexMs as number),
      joinedRows: PG_ROWS,
      joinedMatched: memoryPrefix.count,
      distinctOnMs: round(joins.distinctOn.ms),
      lateralMs: round(joins.lateral.ms),
      bestRowsPerSecond: pgRate,
      agrees: true,
      sample: SAMPLE,
    },
    /** Per row: PostgreSQL's best join time over the matcher's match time. */
    postgresOverMatcher: round(rate(match.ms) / pgRate, 1),
    /** PostgreSQL's join of every row (extrapolated) over building the matcher and matching them. */
    postgresOverBuildAndMatch: round(((bestPgMs / PG_ROWS) * ROWS) / (build.ms + match.ms), 1),
  };
  console.log(
    `unit networks  ${fmt(NETWORKS)} (${fmt(result.ipv6Networks)} IPv6), rows ${fmt(ROWS)} (${fmt(v6Rows)} IPv6), matched ${fmt(memory.count)}`,
  );
  console.log(`(a) build      ${result.buildMs} ms (median of ${RUNS})`);
  console.log(`    floor      ${result.floorMs} ms: reading every character of the rows`);
  console.log(
    `(b) match      ${result.matchMs} ms, ${fmt(result.matchRowsPerSecond)} rows/s, ${result.matchOverFloor}× the floor`,
  );
  console.log(
    `(c) PostgreSQL ${String(pgResult.version)}: COPY ${result.postgres.copyMs} ms, GiST index + ANALYZE ${result.postgres.indexAndAnalyzeMs} ms`,
  );
  console.log(
    `    over the first ${fmt(PG_ROWS)} rows: DISTINCT ON join ${result.postgres.distinctOnMs} ms, LATERAL join ${result.postgres.lateralMs} ms; best ${fmt(result.postgres.bestRowsPerSecond)} rows/s`,
  );
  console.log(`    agree on count, checksum (those rows) and ${SAMPLE} rows sampled from all`);
  console.log(
    `in-memory match rows/s / PostgreSQL join rows/s: ${result.postgresOverMatcher}×  (/ build + match: ${result.postgresOverBuildAndMatch}×)`,
  );
  for (const [name, j] of Object.entries(pgResult.joins as Record<string, { plan: string }>)) {
    console.log(`plan (${name}):\n${j.plan}`);
  }
  const dir = path.join(PROJECT_ROOT, 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'unit-match.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
}

await main();
