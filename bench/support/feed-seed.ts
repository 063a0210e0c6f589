/** Indicators seeded straight into an ISP's feed with SQL, as FeedWriter would write them. */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { round } from '#bench/support/figures.js';

export const SHARES = { domain: 0.7, ipv4: 0.2, ipv6: 0.05, cidr: 0.05 };
export type Kind = keyof typeof SHARES;
export const KINDS = Object.keys(SHARES) as Kind[];

/**
 * Unique canonical values, one expression per type, from a bigint `g` that never repeats for
 * a type (each stage continues where the previous one stopped).
 */
const VALUE_SQL: Record<Kind, string> = {
  domain: `substr(md5(g::text), 1, 6) || '-' || to_hex(g) || '.' ||
           (ARRAY['com','net','org','vn','com.vn','io','info','co.uk','de','ru'])[1 + (g % 10)::int]`,
  // 11–210 as the first number, the rest from g / 200: unique below 200 × 2^24.
  ipv4: `(11 + g % 200)::text || '.' || ((g / 200) >> 16 & 255) || '.' || ((g / 200) >> 8 & 255)
         || '.' || ((g / 200) & 255)`,
  // RFC 5952 form: no leading zeros, the run of three zero groups compressed.
  ipv6: `'2a0e:' || to_hex(4096 + (g >> 12)::int) || ':' || to_hex(4096 + (g & 4095)::int) || ':'
         || to_hex(1 + ((g * 7919) % 65535)::int) || '::1'`,
  cidr: `(11 + g % 200)::text || '.' || ((g / 200) >> 8 & 255) || '.' || ((g / 200) & 255)
         || '.0/24'`,
};

export interface Seeded {
  rows: number;
  seconds: number;
  /** Seconds per step: indicators, feed_changes, feed_active, feed_claims, vacuum+checkpoint. */
  steps: Record<string, number>;
  version: number;
  mix: Record<Kind, number>;
}

/**
 * `n` more indicators in the ISP's active set, claimed by `requestId`, as one feed write: the
 * version lock, the changes numbered from the counter, the active rows and claims, the counter
 * advanced, a notification at commit (FeedWriter's steps, set-based). Then VACUUM ANALYZE and a
 * checkpoint, so that the snapshots meet settled tables.
 */
export async function seed(
  url: string,
  n: number,
  offsets: Record<Kind, number>,
  ids: { org: string; request: string; creator: string },
  tag: string,
): Promise<Seeded> {
  const counts = {} as Record<Kind, number>;
  let left = n;
  for (const kind of KINDS) {
    counts[kind] = kind === 'cidr' ? left : Math.round(n * SHARES[kind]);
    left -= counts[kind];
  }
  const generated = KINDS.map(
    (kind) =>
      `SELECT '${kind}'::text AS type, ${VALUE_SQL[kind]} AS value, g
         FROM generate_series(${offsets[kind] + 1}::bigint, ${offsets[kind] + counts[kind]}::bigint) g`,
  ).join('\nUNION ALL\n');
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const t0 = performance.now();
  const steps: Record<string, number> = {};
  let mark = t0;
  const step = (name: string): void => {
    const now = performance.now();
    steps[name] = round((now - mark) / 1000, 1);
    mark = now;
  };
  let version: number;
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL synchronous_commit = off');
    await client.query(`SET LOCAL work_mem = '256MB'`);
    const { rows } = await client.query<{ last: string }>(
      'SELECT last FROM feed_version FOR UPDATE',
    );
    const from = Number(rows[0].last);
    // In (type, value) order, as the bulk import's merge inserts; one in five with an end date.
    const inserted = await client.query(
      `INSERT INTO indicators (type, value, tlp, valid_from, valid_until, created_by, source)
       SELECT type, value, 'AMBER', now(),
              CASE WHEN g % 5 = 0 THEN now() + interval '90 days' END, $1, $2
         FROM (${generated}) s
        ORDER BY type, value`,
      [ids.creator, tag],
    );
    if (inserted.rowCount !== n) throw new Error(`inserted ${inserted.rowCount}, not ${n}`);
    step('indicators');
    // The change times continue from the last one, 1 µs apart; a first activation's STIX id
    // is the indicator's own (FeedWriter.commitDelta).
    await client.query(
      `UPDATE feed_version
          SET last = last + $1,
              last_added_at = greatest(clock_timestamp(), last_added_at) + $1 * interval '1 microsecond'`,
      [n],
    );
    // Rows carry an audience (decision 0021): here the one ISP's own.
    const audience = await client.query<{ id: number }>(
      `SELECT feed_audience(ARRAY[$1::uuid]) AS id`,
      [ids.org],
    );
    const audienceId = audience.rows[0].id;
    await client.query(
      `INSERT INTO feed_log (version, audience_id, indicator_id, op, reason, request_id,
                             added_at, stix_id)
       SELECT $1::bigint + d.n, $2, d.id, 'add', 'block', $3,
              v.last_added_at - ($5::bigint - d.n) * interval '1 microsecond', d.id
         FROM (SELECT id, row_number() OVER (ORDER BY id) AS n
                 FROM indicators WHERE source = $4) d
         CROSS JOIN feed_version v`,
      [from, audienceId, ids.request, tag, n],
    );
    step('feed_changes');
    await client.query(
      `INSERT INTO feed_active_sets (indicator_id, audience_id, since_version, stix_id, added_at)
       SELECT indicator_id, audience_id, version, stix_id, added_at
         FROM feed_log WHERE version > $1`,
      [from],
    );
    step('feed_active');
    await client.query(
      `INSERT INTO feed_claim_sets (indicator_id, request_id, audience_id)
       SELECT indicator_id, request_id, audience_id FROM feed_log WHERE version > $1`,
      [from],
    );
    step('feed_claims');
    version = from + n;
    await client.query(`SELECT pg_notify('feed_version', $1)`, [String(version)]);
    await client.query('COMMIT');
    step('commit');
    await client.query(
      'VACUUM ANALYZE indicators, feed_log, feed_active_sets, feed_claim_sets, feed_audience_members',
    );
    await client.query('CHECKPOINT').catch(() => undefined);
    step('vacuum');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  for (const kind of KINDS) offsets[kind] += counts[kind];
  return {
    rows: n,
    seconds: round((performance.now() - t0) / 1000, 1),
    steps,
    version,
    mix: counts,
  };
}
