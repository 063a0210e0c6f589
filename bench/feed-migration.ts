/**
 * The FeedAudiences migration (docs/decisions/0021-feed-audiences.md) on a feed of
 * `--indicators` active indicators × `--isps` ISPs, on a real PostgreSQL.
 *
 *   npm run bench:feed-migration              # builds, then: node dist/bench/feed-migration.js
 *   node dist/bench/feed-migration.js [--indicators 1000000] [--isps 20] [--history] [--keep]
 *
 * With DATABASE_URL a scratch database `bench_<random>` is created on that server and dropped
 * at the end (`--keep` leaves it, for EXPLAIN); without it an embedded PostgreSQL runs in a
 * temporary folder, removed at the end.
 *
 * 1. Every migration, then every one undone down to and including FeedAudiences1795956000000:
 *    the per-ISP tables `feed_changes`, `feed_active`, `feed_claims`, as before it.
 * 2. Seeding with SQL (timed apart): `--isps` organizations of kind 'isp', a department with one
 *    analyst, one published request addressed to every ISP; `--indicators` unique domains; for
 *    each ISP and indicator an `add` change (versions 1…N×K dense, indicator by indicator, ISP
 *    by ISP; added_at 1 µs apart; stix_id the indicator's id), its `feed_active` row and its
 *    `feed_claims` row on the request. With `--history`, 1 % of the indicators were also removed
 *    and added again for every ISP (two more changes each; the active row is the second
 *    activation, with its own STIX id). `feed_version` advanced to match. Rows go in in key
 *    order with the foreign keys' triggers off (they hold by construction) and the secondary
 *    indexes built afterwards; then VACUUM ANALYZE and a checkpoint, as an aged database.
 * 3. `runMigrations` (only FeedAudiences is pending) on its own connection, by the wall clock.
 *    Meanwhile another connection samples pg_stat_activity every 100 ms: each statement's
 *    start, hence roughly where the time goes (statements shorter than a sample are folded
 *    into the one before).
 * 4. Checks: the views `feed_changes` and `feed_active` give as many rows as the tables had,
 *    `feed_claim_sets` has one row per indicator.
 *
 * Prints the figures, then one JSON object as the last line of stdout.
 */
import 'reflect-metadata';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createDataSource } from '#src/platform/database/data-source.js';
import { revertThrough, runMigrations } from '#src/platform/database/migrations.js';
import { fmt, measuredCode, round } from '#bench/support/figures.js';
import { scratchDatabase, sql } from '#bench/support/scratch-database.js';

const MIGRATION = 'FeedAudiences1795956000000';

const { values: opts } = parseArgs({
  options: {
    indicators: { type: 'string', default: '1000000' },
    isps: { type: 'string', default: '20' },
    history: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(opts.indicators);
const K = Number(opts.isps);
if (!Number.isSafeInteger(N) || N < 1 || !Number.isSafeInteger(K) || K < 1 || N * K > 1e9) {
  console.error(
    'usage: node dist/bench/feed-migration.js [--indicators N] [--isps K] [--history] [--keep]',
  );
  process.exit(2);
}
/** Indicators removed and added again for every ISP (with --history). */
const H = opts.history ? Math.floor(N / 100) : 0;

const DB = { DB_POOL_MAX: 1, DB_CONNECT_TIMEOUT_MS: 10_000, DB_STATEMENT_TIMEOUT_MS: 0 };
const OLD_TABLES = ['feed_changes', 'feed_active', 'feed_claims'];
const NEW_TABLES = [
  'feed_log',
  'feed_active_sets',
  'feed_claim_sets',
  'feed_audiences',
  'feed_audience_members',
];
const SAMPLE_MS = 100;

const mb = (bytes: number): number => round(bytes / 1e6, 1);
const seconds = (ms: number): number => round(ms / 1000, 1);

async function counts(url: string, tables: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) {
    out[t] = Number((await sql<{ n: string }>(url, `SELECT count(*) AS n FROM "${t}"`))[0].n);
  }
  return out;
}

/** Bytes of each table with its indexes and TOAST. */
async function sizes(url: string, tables: string[]): Promise<Record<string, number>> {
  const rows = await sql<{ t: string; b: string }>(
    url,
    `SELECT t, pg_total_relation_size(t::regclass) AS b FROM unnest($1::text[]) AS t`,
    [tables],
  );
  return Object.fromEntries(rows.map((r) => [r.t, mb(Number(r.b))]));
}

async function databaseSize(url: string): Promise<number> {
  return Number(
    (await sql<{ b: string }>(url, `SELECT pg_database_size(current_database()) AS b`))[0].b,
  );
}

// ---------------------------------------------------------------------------------------------
// Seeding

/**
 * The per-ISP feed as FeedWriter wrote it before FeedAudiences: one change, active row and claim
 * per ISP and indicator. Returns the seconds of each step.
 */
async function seed(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const steps: Record<string, number> = {};
  let mark = performance.now();
  const step = (name: string): void => {
    const now = performance.now();
    steps[name] = seconds(now - mark);
    mark = now;
  };
  const q = (text: string, values: unknown[] = []) => client.query(text, values);
  try {
    await q('SET synchronous_commit = off');
    await q(`SET work_mem = '256MB'`);
    await q(`SET maintenance_work_mem = '1GB'`);
    // The foreign keys hold by construction: no trigger per row (superuser only).
    await q('SET session_replication_role = replica');
    await q('BEGIN');
    const [dept] = (
      await q(
        `INSERT INTO organizations (kind, name, short_code, version)
         VALUES ('department', 'Bench department', 'BENCH-DEPT', 1) RETURNING id`,
      )
    ).rows as { id: string }[];
    const [analyst] = (
      await q(
        `INSERT INTO users (organization_id, email, name, roles, password_hash, version)
         VALUES ($1, 'bench-analyst@department.example', 'Bench analyst', ARRAY['analyst'],
                 'not-a-hash', 1) RETURNING id`,
        [dept.id],
      )
    ).rows as { id: string }[];
    await q(
      `INSERT INTO organizations (kind, name, short_code, version)
       SELECT 'isp', 'Bench ISP ' || k, 'BENCH-ISP-' || k, 1 FROM generate_series(1, $1) k`,
      [K],
    );
    // The ISPs numbered 1…K in id order; the request addressed to all of them.
    await q(`CREATE TEMP TABLE seed_isps AS
               SELECT row_number() OVER (ORDER BY id)::int AS k, id
                 FROM organizations WHERE kind = 'isp' AND short_code LIKE 'BENCH-ISP-%'`);
    const [request] = (
      await q(
        `INSERT INTO blocking_requests (document_number, title, legal_basis, category, severity,
                                        status, targets_all, issued_by, created_by, submitted_by,
                                        submitted_at, published_at, item_count)
         VALUES ('BENCH-1', 'Bench request', 'Bench', 'botnet', 'high', 'published', true, $1,
                 $2, $2, now(), now(), $3) RETURNING id`,
        [dept.id, analyst.id, N],
      )
    ).rows as { id: string }[];
    step('organizations');
    await q(
      `INSERT INTO indicators (type, value, tlp, valid_from, created_by, source)
       SELECT 'domain', value, 'AMBER', now(), $2, 'bench-feed-migration'
         FROM (SELECT substr(md5(g::text), 1, 6) || '-' || to_hex(g) || '.' ||
                      (ARRAY['com','net','org','vn','com.vn','io','info','co.uk','de','ru'])[1 + (g % 10)::int]
                        AS value
                 FROM generate_series(1, $1::bigint) g) s
        ORDER BY value`,
      [N, analyst.id],
    );
    // The indicators numbered 1…N (value order: the order of the import that created them).
    await q(`CREATE TEMP TABLE seed_indicators AS
               SELECT row_number() OVER (ORDER BY value)::bigint AS n, id
                 FROM indicators WHERE source = 'bench-feed-migration'`);
    await q('ANALYZE seed_isps, seed_indicators');
    step('indicators');
    // Indexes other than the primary keys are built once the rows are in.
    const { rows: indexes } = await q(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i
        WHERE i.indrelid = ANY(ARRAY['feed_changes', 'feed_active', 'feed_claims']::regclass[])
          AND NOT i.indisprimary`,
    );
    for (const { name } of indexes as { name: string }[]) await q(`DROP INDEX ${name}`);
    // Version of the first add of indicator n for ISP k: (n − 1)·K + k. With history, the
    // removals follow (h = n / 100), then the second adds.
    const t0 = `'2026-01-01T00:00:00Z'::timestamptz`;
    await q(
      `INSERT INTO feed_changes (version, organization_id, indicator_id, op, reason, request_id,
                                 created_at, added_at, stix_id)
       SELECT v, org, ind, op, reason, $4::uuid, ${t0} + (v / $1::bigint) * interval '1 microsecond',
              ${t0} + v * interval '1 microsecond', stix
         FROM (SELECT (i.n - 1) * $1 + o.k AS v, o.id AS org, i.id AS ind, 'add' AS op,
                      'block' AS reason, i.id AS stix
                 FROM seed_indicators i CROSS JOIN seed_isps o
               UNION ALL
               SELECT $2::bigint * $1 + (i.n / 100 - 1) * $1 + o.k, o.id, i.id, 'remove',
                      'unblock', i.id
                 FROM seed_indicators i CROSS JOIN seed_isps o
                WHERE i.n % 100 = 0 AND i.n / 100 <= $3
               UNION ALL
               SELECT v2, o.id, i.id, 'add', 'block', feed_stix_id(i.id, v2)
                 FROM seed_indicators i CROSS JOIN seed_isps o
                 CROSS JOIN LATERAL (SELECT ($2::bigint + $3) * $1 + (i.n / 100 - 1) * $1 + o.k AS v2) x
                WHERE i.n % 100 = 0 AND i.n / 100 <= $3) s
        ORDER BY v`,
      [K, N, H, request.id],
    );
    step('feed_changes');
    await q(
      `INSERT INTO feed_active (organization_id, indicator_id, since_version, stix_id, added_at)
       SELECT DISTINCT ON (organization_id, indicator_id)
              organization_id, indicator_id, version, stix_id, added_at
         FROM feed_changes
        ORDER BY organization_id, indicator_id, version DESC`,
    );
    step('feed_active');
    await q(
      `INSERT INTO feed_claims (indicator_id, organization_id, request_id)
       SELECT i.id, o.id, $1 FROM seed_indicators i CROSS JOIN seed_isps o ORDER BY i.id, o.id`,
      [request.id],
    );
    step('feed_claims');
    for (const { def } of indexes as { def: string }[]) await q(def);
    step('indexes');
    await q(
      `UPDATE feed_version
          SET last = (SELECT max(version) FROM feed_changes),
              last_added_at = (SELECT max(added_at) FROM feed_changes)`,
    );
    await q('COMMIT');
    step('commit');
    await q('RESET session_replication_role');
    await q('VACUUM ANALYZE');
    await q('CHECKPOINT').catch(() => undefined);
    step('vacuum');
  } catch (error) {
    await q('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------
// Where the migration's time goes

interface Statement {
  /** Seconds from the start of runMigrations. */
  at: number;
  seconds: number;
  query: string;
}

/**
 * Samples the migrating session's statement (application_name 'threat-exchange') every
 * SAMPLE_MS; `stop(end)` returns each statement seen with the time until the next one started
 * (the last: until `end`, epoch ms).
 */
function sampleStatements(
  url: string,
  startedAt: number,
): { stop: (end: number) => Promise<Statement[]> } {
  const seen: { start: number; query: string }[] = [];
  let running = true;
  const client = new pg.Client({ connectionString: url, application_name: 'bench-sampler' });
  client.on('error', () => undefined);
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ start: number; query: string }>(
        `SELECT extract(epoch FROM query_start) * 1000 AS start,
                regexp_replace(left(query, 400), '\\s+', ' ', 'g') AS query
           FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'threat-exchange'
            AND query_start IS NOT NULL`,
      );
      for (const r of rows) {
        const start = Number(r.start);
        if (seen.length === 0 || seen[seen.length - 1].start < start) {
          seen.push({ start, query: r.query });
          console.error(
            `  [+${seconds(start - startedAt)} s] ${r.query.slice(0, 110)}${r.query.length > 110 ? '…' : ''}`,
          );
        }
      }
      await sleep(SAMPLE_MS);
    }
  })();
  return {
    stop: async (end: number) => {
      running = false;
      await loop;
      await client.end();
      return seen.map((s, i) => ({
        at: seconds(s.start - startedAt),
        seconds: seconds((seen[i + 1]?.start ?? end) - s.start),
        query: s.query,
      }));
    },
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const code = measuredCode(['src', 'migrations', 'bench']);
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  const db = await scratchDatabase();
  try {
    const [{ v: server }] = await sql<{ v: string }>(
      db.url,
      `SELECT current_setting('server_version') AS v`,
    );
    const settings = await sql<{ name: string; setting: string; unit: string | null }>(
      db.url,
      `SELECT name, setting, unit FROM pg_settings
        WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'temp_buffers',
                       'max_wal_size', 'max_parallel_workers_per_gather',
                       'max_parallel_maintenance_workers')`,
    );
    const cpus = os.cpus();
    console.log(
      `code          ${code.commit}${code.uncommitted.length ? ` + uncommitted ${code.uncommitted.join(', ')}` : ''}`,
    );
    console.log(
      `machine       ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, ${round(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, PostgreSQL ${server}; ${db.where}`,
    );
    console.log(
      `settings      ${settings.map((s) => `${s.name} ${s.setting}${s.unit ?? ''}`).join(', ')}`,
    );
    console.log(
      `feed          ${fmt(N)} indicators × ${K} ISPs${H ? `, ${fmt(H)} removed and re-added for every ISP` : ''}`,
    );

    const ds = await createDataSource(db.url, DB);
    await ds.initialize();
    try {
      await runMigrations(ds);
      await revertThrough(ds, MIGRATION);
    } finally {
      await ds.destroy();
    }

    const s0 = performance.now();
    const seedSteps = await seed(db.url);
    const seedSeconds = seconds(performance.now() - s0);
    console.log(
      `seeding       ${fmt(seedSeconds)} s (${Object.entries(seedSteps)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    );

    const before = await counts(db.url, [...OLD_TABLES, 'indicators', 'organizations']);
    const sizesBefore = await sizes(db.url, OLD_TABLES);
    const dbBefore = await databaseSize(db.url);
    const [{ last: lastVersion }] = await sql<{ last: string }>(
      db.url,
      `SELECT last FROM feed_version`,
    );
    console.log(
      `before        ${Object.entries(before)
        .map(([t, n]) => `${t} ${fmt(n)}`)
        .join(', ')}; feed_version ${fmt(Number(lastVersion))}`,
    );
    console.log(
      `              ${Object.entries(sizesBefore)
        .map(([t, b]) => `${t} ${fmt(b)} MB`)
        .join(', ')} (with indexes); database ${fmt(mb(dbBefore))} MB`,
    );

    const migrator = await createDataSource(db.url, DB);
    await migrator.initialize();
    const loadAtMigration = os.loadavg().map((x) => round(x, 2));
    let migrationMs: number;
    let statements: Statement[];
    try {
      const startedAt = Date.now();
      const sampler = sampleStatements(db.url, startedAt);
      const m0 = performance.now();
      let applied: { name: string }[];
      try {
        applied = await runMigrations(migrator);
      } finally {
        migrationMs = performance.now() - m0;
        statements = await sampler.stop(startedAt + migrationMs);
      }
      if (applied.length !== 1 || applied[0].name !== MIGRATION) {
        throw new Error(`applied ${applied.map((m) => m.name).join(', ') || 'nothing'}`);
      }
    } finally {
      await migrator.destroy();
    }
    const loadAfterMigration = os.loadavg().map((x) => round(x, 2));
    console.log(
      `migration     ${fmt(seconds(migrationMs))} s (${fmt(round(migrationMs))} ms), load ${loadAtMigration.join(' ')} before, ${loadAfterMigration.join(' ')} after`,
    );
    const top = [...statements].sort((a, b) => b.seconds - a.seconds).slice(0, 12);
    console.log(`statements    (sampled every ${SAMPLE_MS} ms; the longest, in order of start)`);
    for (const s of top.sort((a, b) => a.at - b.at)) {
      console.log(
        `  +${String(s.at).padStart(7)} s  ${String(s.seconds).padStart(7)} s  ${s.query.slice(0, 100)}${s.query.length > 100 ? '…' : ''}`,
      );
    }

    const after = await counts(db.url, NEW_TABLES);
    const sizesAfter = await sizes(db.url, NEW_TABLES);
    const dbAfter = await databaseSize(db.url);
    const views = await counts(db.url, OLD_TABLES);
    console.log(
      `after         ${Object.entries(after)
        .map(([t, n]) => `${t} ${fmt(n)}`)
        .join(', ')}`,
    );
    console.log(
      `              ${Object.entries(sizesAfter)
        .map(([t, b]) => `${t} ${fmt(b)} MB`)
        .join(', ')} (with indexes); database ${fmt(mb(dbAfter))} MB`,
    );
    console.log(
      `views         ${Object.entries(views)
        .map(([t, n]) => `${t} ${fmt(n)}`)
        .join(', ')}`,
    );
    const checks = {
      feedChanges: views.feed_changes === before.feed_changes,
      feedActive: views.feed_active === before.feed_active && views.feed_active === N * K,
      feedClaims: views.feed_claims === before.feed_claims,
      claimSetsOnePerIndicator: after.feed_claim_sets === N,
      changesAsSeeded: before.feed_changes === N * K + 2 * H * K,
    };
    const failed = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => name);
    console.log(`checks        ${failed.length ? `FAILED: ${failed.join(', ')}` : 'all hold'}`);
    const loadAfter = os.loadavg().map((x) => round(x, 2));
    console.log(
      `load          ${loadBefore.join(' ')} at start, ${loadAfter.join(' ')} at the end`,
    );

    console.log(
      JSON.stringify({
        bench: 'feed-migration',
        code,
        machine: {
          cpu: cpus[0]?.model ?? 'unknown',
          cores: cpus.length,
          ramGiB: round(os.totalmem() / 2 ** 30, 1),
          node: process.version,
          postgres: server,
          settings: Object.fromEntries(
            settings.map((s) => [s.name, `${s.setting}${s.unit ?? ''}`]),
          ),
        },
        load: {
          start: loadBefore,
          migrationStart: loadAtMigration,
          migrationEnd: loadAfterMigration,
          end: loadAfter,
        },
        indicators: N,
        isps: K,
        historyIndicators: H,
        seed: { seconds: seedSeconds, steps: seedSteps },
        rowsBefore: before,
        mbBefore: sizesBefore,
        migration: { seconds: seconds(migrationMs), ms: round(migrationMs), statements },
        rowsAfter: after,
        mbAfter: sizesAfter,
        views,
        databaseMb: { before: mb(dbBefore), after: mb(dbAfter) },
        checks,
      }),
    );
    if (failed.length) process.exitCode = 1;
  } finally {
    if (opts.keep) console.error(`kept: ${db.where} (${db.url})`);
    else await db.drop();
  }
}

await main();
