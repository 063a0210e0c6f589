import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What STIX 2.1 and TAXII 2.1 need from the feed (docs/decisions/0007-stix-and-taxii.md):
 *
 * - `added_at`: when a change entered the feed (TAXII `date_added`, the STIX `modified` of the
 *   version it makes). Strictly increasing with the version: each writer, holding the feed lock,
 *   numbers its rows from max(now, last + 1 µs), so `added_after` paging follows version order
 *   and never ties.
 * - `stix_id`: the STIX object an activation of an indicator in an ISP's feed is. The first
 *   activation is the indicator's own id; once removed, a STIX object is revoked for good, so a
 *   later re-activation is a new object whose id is a name-based UUID (version 3) of the
 *   indicator id and the version that re-added it. A removal carries the id it revokes.
 */
export class FeedStix1795876256165 implements MigrationInterface {
  name = 'FeedStix1795876256165';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of UP) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of DOWN) await queryRunner.query(sql);
  }
}

const UP = [
  // RFC 4122 §4.3 name-based UUID (MD5, version 3) in the namespace of this product's feed.
  `CREATE FUNCTION feed_stix_id(indicator_id uuid, version bigint) RETURNS uuid
     LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
     SELECT (substr(h, 1, 12) || '3' || substr(h, 14, 3)
             || to_hex(((('x' || substr(h, 17, 1))::bit(4))::int & 3) | 8)
             || substr(h, 18, 15))::uuid
       FROM (SELECT md5(decode('6f1c0a53e2d84a3c9b7e5d0c4a2f8e61', 'hex')
                        || convert_to(indicator_id::text || ':' || version::text, 'UTF8')) AS h) s
   $$`,
  // First, so that the backfill below looks up earlier changes by index (not quadratic).
  `CREATE INDEX "feed_changes_org_indicator_idx" ON "feed_changes" ("organization_id", "indicator_id", "version")`,
  `ALTER TABLE "feed_changes" ADD COLUMN "added_at" timestamptz`,
  `ALTER TABLE "feed_changes" ADD COLUMN "stix_id" uuid`,
  `UPDATE "feed_changes" c SET "added_at" = m.t
     FROM (SELECT version, max(created_at) OVER (ORDER BY version)
                           + row_number() OVER (ORDER BY version) * interval '1 microsecond' AS t
             FROM feed_changes) m
    WHERE m.version = c.version`,
  // Existing adds: the indicator's id for its first activation in an ISP's feed, else derived.
  `UPDATE "feed_changes" c
      SET "stix_id" = CASE WHEN EXISTS (SELECT 1 FROM feed_changes p
                                         WHERE p.organization_id = c.organization_id
                                           AND p.indicator_id = c.indicator_id
                                           AND p.version < c.version)
                           THEN feed_stix_id(c.indicator_id, c.version) ELSE c.indicator_id END
    WHERE c.op = 'add'`,
  // Existing removals: the object of the activation they end.
  `UPDATE "feed_changes" c
      SET "stix_id" = (SELECT a.stix_id FROM feed_changes a
                        WHERE a.organization_id = c.organization_id
                          AND a.indicator_id = c.indicator_id
                          AND a.op = 'add' AND a.version < c.version
                        ORDER BY a.version DESC LIMIT 1)
    WHERE c.op = 'remove'`,
  `UPDATE "feed_changes" SET "stix_id" = "indicator_id" WHERE "stix_id" IS NULL`,
  `ALTER TABLE "feed_changes" ALTER COLUMN "added_at" SET NOT NULL`,
  `ALTER TABLE "feed_changes" ALTER COLUMN "stix_id" SET NOT NULL`,
  `CREATE INDEX "feed_changes_org_stix_idx" ON "feed_changes" ("organization_id", "stix_id", "version")`,
  // TAXII's added_after becomes a version bound through this index.
  `CREATE INDEX "feed_changes_added_at_idx" ON "feed_changes" ("added_at")`,
  `ALTER TABLE "feed_version" ADD COLUMN "last_added_at" timestamptz NOT NULL DEFAULT '-infinity'`,
  `UPDATE "feed_version" SET "last_added_at" = coalesce((SELECT max(added_at) FROM feed_changes), '-infinity')`,
  // The active set carries the add's object id and time, so snapshots need no per-row lookup.
  `ALTER TABLE "feed_active" ADD COLUMN "stix_id" uuid`,
  `ALTER TABLE "feed_active" ADD COLUMN "added_at" timestamptz`,
  `UPDATE "feed_active" a SET "stix_id" = c.stix_id, "added_at" = c.added_at
     FROM feed_changes c WHERE c.version = a.since_version`,
  `UPDATE "feed_active" SET "stix_id" = "indicator_id", "added_at" = now() WHERE "stix_id" IS NULL`,
  `ALTER TABLE "feed_active" ALTER COLUMN "stix_id" SET NOT NULL`,
  `ALTER TABLE "feed_active" ALTER COLUMN "added_at" SET NOT NULL`,
];

const DOWN = [
  `ALTER TABLE "feed_active" DROP COLUMN "added_at"`,
  `ALTER TABLE "feed_active" DROP COLUMN "stix_id"`,
  `ALTER TABLE "feed_version" DROP COLUMN "last_added_at"`,
  `DROP INDEX "feed_changes_added_at_idx"`,
  `DROP INDEX "feed_changes_org_stix_idx"`,
  `DROP INDEX "feed_changes_org_indicator_idx"`,
  `ALTER TABLE "feed_changes" DROP COLUMN "stix_id"`,
  `ALTER TABLE "feed_changes" DROP COLUMN "added_at"`,
  `DROP FUNCTION feed_stix_id(uuid, bigint)`,
];
