/**
 * Bulk import through the API against COPY, on a real PostgreSQL (docs/performance.md).
 *
 *   npm run bench:import                      # builds, then: node dist/bench/import.js
 *   node dist/bench/import.js [rows]          # 1,000,000 rows unless given
 *
 * With DATABASE_URL a scratch database `bench_<random>` is created on that server and dropped
 * at the end; without it an embedded PostgreSQL runs in a temporary folder, removed at the end.
 *
 * 1. The application (createApp, as main.ts) listens on 127.0.0.1; an analyst logs in.
 * 2. API import: `rows` generated unique values (domains ~70 %, IPv4 ~20 %, IPv6 ~5 %, CIDR ~5 %)
 *    are sent as text/plain (with Content-Length) to POST /api/v1/imports?mode=reject. The clock
 *    runs from the first byte sent until GET /api/v1/imports/:id says succeeded.
 * 3. COPY: `TRUNCATE indicators CASCADE`, then the same canonical rows with the same defaulted
 *    columns (type, value, tlp, tags, valid_from, created_by) are copied into `indicators` with
 *    one COPY … FROM STDIN; the clock runs from the COPY statement to its completion.
 * 4. Protected-list check: the MISP warninglists of ../shared/data/misp-warninglists/lists (if
 *    present) are imported through POST /api/v1/protected-lists/misp-import, then 100,000 values
 *    are checked with POST /api/v1/protected-lists/check (twice: the first builds the matcher).
 *
 * Prints the figures, then one JSON object as the last line of stdout.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createApp } from '#src/app/app.factory.js';
import { createLogger } from '#src/platform/logging/logger.js';
import { loadConfig } from '#src/app/config.js';
import { createDataSource } from '#src/platform/database/data-source.js';
import { runMigrations } from '#src/platform/database/migrations.js';
import { BUILTIN_ENTRIES } from '#src/publishing/protected-lists/builtin.js';
import { ApiClient } from '#bench/support/api-client.js';
import { fmt, round } from '#bench/support/figures.js';
import { prng } from '#bench/support/prng.js';
import { scratchDatabase, sql } from '#bench/support/scratch-database.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const CHECK_VALUES = 100_000;
const LISTS_DIR = path.resolve(process.cwd(), '../shared/data/misp-warninglists/lists');
const ADMIN_EMAIL = 'bench-admin@department.example';
const ADMIN_PASSWORD = randomBytes(18).toString('base64url');

if (!Number.isSafeInteger(ROWS) || ROWS < 1 || ROWS > 10_000_000) {
  console.error('usage: node dist/bench/import.js [rows (1 to 10,000,000)]');
  process.exit(2);
}

type Kind = 'domain' | 'ipv4' | 'ipv6' | 'cidr';

/**
 * `n` unique values, already canonical (so the COPY side gets the same rows): domains ~70 %,
 * IPv4 ~20 %, IPv6 ~5 %, CIDR ~5 %, interleaved at random.
 */
function generateRows(n: number, run: string): { types: Kind[]; values: string[] } {
  const random = prng(20261128);
  const tlds = ['com', 'net', 'org', 'vn', 'com.vn', 'io', 'info', 'co.uk', 'de', 'ru'];
  const types: Kind[] = new Array<Kind>(n);
  const values: string[] = new Array<string>(n);
  const next = { domain: 0, ipv4: 0, ipv6: 0, cidr: 0 };
  const hex = (x: number): string => x.toString(16);
  for (let i = 0; i < n; i++) {
    const p = random();
    const kind: Kind = p < 0.7 ? 'domain' : p < 0.9 ? 'ipv4' : p < 0.95 ? 'ipv6' : 'cidr';
    const k = next[kind]++;
    let value: string;
    if (kind === 'domain') {
      const label = Math.floor(random() * 36 ** 5).toString(36);
      value = `${label}-${k.toString(36)}-${run}.${tlds[k % tlds.length]}`;
    } else if (kind === 'ipv4') {
      // Unique up to 16,777,216 × 223 rows: the first three numbers come from k.
      value = `${1 + ((k >>> 24) % 223)}.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`;
    } else if (kind === 'ipv6') {
      // No zero group but the last run: already in its RFC 5952 form.
      value = `2001:db8:${hex(0x1000 + (k >>> 12))}:${hex(0x1000 + (k & 0xfff))}:${hex(Math.floor(random() * 0xffff) + 1)}::1`;
    } else {
      value = `${k & 0x80000 ? 172 : 10}.${(k >>> 11) & 255}.${(k >>> 3) & 255}.${(k & 7) * 32}/27`;
    }
    types[i] = kind;
    values[i] = value;
  }
  return { types, values };
}

/** Lines joined into chunks of about 1 MB. */
function chunked(lines: Iterable<string>): Buffer[] {
  const chunks: Buffer[] = [];
  let parts: string[] = [];
  let size = 0;
  for (const line of lines) {
    parts.push(line);
    size += line.length;
    if (size >= 1 << 20) {
      chunks.push(Buffer.from(parts.join(''), 'utf8'));
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) chunks.push(Buffer.from(parts.join(''), 'utf8'));
  return chunks;
}

interface ImportJob {
  id: string;
  status: string;
  error: string | null;
  progress: { rowsRead: number };
  report: { created: number; alreadyPresent: number; rejected: number };
}

/** 100,000 values to check: random names and addresses, some under protected ones. */
function checkValues(n: number): string[] {
  const random = prng(42);
  const hostnames = BUILTIN_ENTRIES.filter((e) => e.kind === 'hostname').map((e) => e.value);
  const byte = () => Math.floor(random() * 256);
  const label = () => Math.floor(random() * 36 ** 6).toString(36);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = random();
    if (p < 0.55) out.push(`${label()}.${['com', 'net', 'vn', 'io'][i % 4]}`);
    else if (p < 0.65) out.push(`${label()}.${hostnames[i % hostnames.length]}`);
    else if (p < 0.85) out.push(`${byte()}.${byte()}.${byte()}.${byte()}`);
    else if (p < 0.9) out.push(`2001:db8:${byte().toString(16)}::${byte().toString(16)}`);
    else if (p < 0.95) out.push(`8.8.${byte()}.${byte()}`);
    else out.push(`${byte()}.${byte()}.${byte()}.0/24`);
  }
  return out;
}

async function main(): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const db = await scratchDatabase();
  let app: NestFastifyApplication | undefined;
  try {
    const migrator = await createDataSource(db.url, {
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
    const [{ version, server_version: serverVersion }] = await sql<{
      version: string;
      server_version: string;
    }>(db.url, `SELECT version(), current_setting('server_version') AS server_version`);

    const config = loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      IMPORT_MAX_ROWS: String(Math.max(ROWS, 1_000_000)),
      EXPIRY_INTERVAL_S: '0',
    });
    app = await createApp({ config, databaseUrl: db.url, logger: createLogger('error') });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const api = new ApiClient(`http://127.0.0.1:${port}`, ADMIN_PASSWORD);

    const admin = await api.login(ADMIN_EMAIL);
    const [{ organization_id: departmentId }] = await sql<{ organization_id: string }>(
      db.url,
      `SELECT organization_id FROM users WHERE email = $1`,
      [ADMIN_EMAIL],
    );
    const analystEmail = `bench-analyst-${run}@department.example`;
    const analystPassword = randomBytes(18).toString('base64url');
    const created = await api.call<{ id: string }>('POST', '/api/v1/users', admin, {
      organizationId: departmentId,
      email: analystEmail,
      name: 'Bench analyst',
      roles: ['analyst'],
      password: analystPassword,
    });
    if (created.status !== 201) throw new Error(`creating the analyst: ${created.status}`);
    const analyst = await api.login(analystEmail, analystPassword);
    const analystId = created.body.id;

    // ---- data, made before any clock starts
    const { types, values } = generateRows(ROWS, run);
    const body = chunked(values.map((v) => `${v}\n`));
    const bodyBytes = body.reduce((n, c) => n + c.length, 0);
    const validFrom = new Date().toISOString();
    const copyRows = chunked(
      values.map((v, i) => `${types[i]}\t${v}\tAMBER\t{}\t${validFrom}\t${analystId}\n`),
    );
    const mix = { domain: 0, ipv4: 0, ipv6: 0, cidr: 0 };
    for (const t of types) mix[t]++;

    // ---- 1. through the API
    await sql(db.url, 'CHECKPOINT').catch(() => undefined);
    const t0 = performance.now();
    const answer = await api.upload('/api/v1/imports?mode=reject', analyst, 'text/plain', body);
    const tAccepted = performance.now();
    if (answer.status !== 202) {
      throw new Error(`import answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    const jobId = (answer.body as ImportJob).id;
    let job: ImportJob;
    for (;;) {
      job = (await api.call<ImportJob>('GET', `/api/v1/imports/${jobId}`, analyst)).body;
      if (job.status === 'succeeded' || job.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const t1 = performance.now();
    if (job.status !== 'succeeded' || job.report.created !== ROWS) {
      throw new Error(`the import did not create every row: ${JSON.stringify(job)}`);
    }
    const apiMs = t1 - t0;
    // What both sides must leave in the table: the same (type, value) pairs.
    const fingerprint = async (): Promise<string> =>
      (
        await sql<{ h: string }>(
          db.url,
          `SELECT md5(string_agg(type || ' ' || value, ',' ORDER BY type, value)) AS h FROM indicators`,
        )
      )[0].h;
    const imported = await fingerprint();

    // ---- 2. the same rows with COPY
    await sql(db.url, 'TRUNCATE indicators CASCADE');
    await sql(db.url, 'CHECKPOINT').catch(() => undefined);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    let copyMs: number;
    try {
      const t2 = performance.now();
      await pipeline(
        Readable.from(copyRows),
        client.query(
          copyFrom('COPY indicators (type, value, tlp, tags, valid_from, created_by) FROM STDIN'),
        ),
      );
      copyMs = performance.now() - t2;
      const [{ n }] = (await client.query<{ n: string }>('SELECT count(*) AS n FROM indicators'))
        .rows;
      if (Number(n) !== ROWS) throw new Error(`COPY left ${n} rows, not ${ROWS}`);
    } finally {
      await client.end();
    }
    if ((await fingerprint()) !== imported) {
      throw new Error('COPY and the API import did not store the same (type, value) rows');
    }

    // ---- 3. protected-list check through the API
    const lists = { imported: 0, refused: 0, entries: 0, ms: 0 };
    if (existsSync(LISTS_DIR)) {
      const t3 = performance.now();
      for (const id of readdirSync(LISTS_DIR).sort()) {
        const file = path.join(LISTS_DIR, id, 'list.json');
        if (!existsSync(file)) continue;
        const res = await api.call<{ entryCount?: number; entries?: number }>(
          'POST',
          '/api/v1/protected-lists/misp-import',
          admin,
          readFileSync(file, 'utf8'),
        );
        if (res.status === 200 || res.status === 201) lists.imported++;
        else lists.refused++;
      }
      lists.ms = round(performance.now() - t3);
    }
    const [{ n: entries }] = await sql<{ n: string }>(
      db.url,
      'SELECT count(*) AS n FROM protected_entries',
    );
    lists.entries = Number(entries);
    const checkBody = JSON.stringify({ values: checkValues(CHECK_VALUES) });
    const checks: { ms: number; matched: number; invalid: number }[] = [];
    for (let i = 0; i < 2; i++) {
      const t4 = performance.now();
      const res = await api.call<{ matched: number; invalid: unknown[] }>(
        'POST',
        '/api/v1/protected-lists/check',
        analyst,
        checkBody,
      );
      if (res.status !== 200) throw new Error(`check answered ${res.status}`);
      checks.push({
        ms: round(performance.now() - t4, 1),
        matched: res.body.matched,
        invalid: res.body.invalid.length,
      });
    }

    // ---- report
    const cpus = os.cpus();
    const result = {
      date: new Date().toISOString(),
      database: db.where,
      node: process.version,
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      ramGiB: round(os.totalmem() / 2 ** 30, 1),
      postgres: serverVersion,
      postgresVersion: version,
      rows: ROWS,
      mix,
      bodyBytes,
      api: {
        ms: round(apiMs),
        acceptedAfterMs: round(tAccepted - t0),
        mergeMs: round(t1 - tAccepted),
        rowsPerSecond: round(ROWS / (apiMs / 1000)),
      },
      copy: { ms: round(copyMs), rowsPerSecond: round(ROWS / (copyMs / 1000)) },
      ratio: round(copyMs / apiMs, 3),
      protectedCheck: {
        values: CHECK_VALUES,
        mispLists: lists,
        firstMs: checks[0].ms,
        secondMs: checks[1].ms,
        matched: checks[0].matched,
        invalid: checks[0].invalid,
      },
    };
    console.log(`database      ${result.database} (PostgreSQL ${serverVersion})`);
    console.log(
      `machine       ${result.cpu}, ${result.cores} cores, ${result.ramGiB} GiB, Node ${result.node}`,
    );
    console.log(
      `rows          ${fmt(ROWS)} (${JSON.stringify(mix)}), ${fmt(bodyBytes)} bytes of text`,
    );
    console.log(
      `API import    ${fmt(result.api.ms)} ms = ${fmt(result.api.rowsPerSecond)} rows/s (202 after ${fmt(result.api.acceptedAfterMs)} ms, merge ${fmt(result.api.mergeMs)} ms)`,
    );
    console.log(
      `COPY          ${fmt(result.copy.ms)} ms = ${fmt(result.copy.rowsPerSecond)} rows/s`,
    );
    console.log(`ratio         ${result.ratio}× of COPY (target ≥ 0.5×)`);
    console.log(
      `MISP lists    ${lists.imported} imported, ${lists.refused} refused in ${fmt(round(lists.ms))} ms; ${fmt(lists.entries)} entries besides the built-in list`,
    );
    console.log(
      `check 100k    ${checks[0].ms} ms (first, builds the matcher), ${checks[1].ms} ms (second); ${fmt(checks[0].matched)} protected`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await app?.close();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
