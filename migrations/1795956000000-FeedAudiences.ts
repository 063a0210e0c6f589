import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The feed written once per indicator, with its audience (docs/decisions/0021-feed-audiences.md).
 *
 * Before, every change, active entry and claim was a row per ISP: a publication to 60 ISPs
 * wrote 60 rows per indicator under the feed lock. Now each is one row with an **audience**: an
 * interned set of ISPs (`feed_audiences`, one row per distinct set, its members listed in
 * `feed_audience_members`). An ISP's feed is the rows whose audience holds it:
 *
 * - `feed_log`: the change log (one version per row; the rows an ISP sees are its changes);
 * - `feed_active_sets`: what is active, and for whom (an ISP is in at most one row per
 *   indicator);
 * - `feed_claim_sets`: which request blocks which indicator, and for whom.
 *
 * The per-ISP relations keep their names and columns as views (`feed_changes`, `feed_active`,
 * `feed_claims`): every reader, and every query written against them, keeps its meaning.
 *
 * Existing rows are converted as they are: each becomes a row whose audience is its ISP alone,
 * with the same version, identifiers and times, so that no ISP's feed changes by a byte.
 */
export class FeedAudiences1795956000000 implements MigrationInterface {
  name = 'FeedAudiences1795956000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of UP) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of DOWN) await queryRunner.query(sql);
  }
}

const UP = [
  // Sets of ISPs, interned: one row per distinct set, members sorted. (Unique by a hash of the
  // members: a btree entry of a hundred uuids would be near its size limit.)
  `CREATE TABLE "feed_audiences" (
    "id" integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "members" uuid[] NOT NULL CHECK (cardinality("members") > 0),
    "members_md5" text NOT NULL UNIQUE)`,
  `CREATE TABLE "feed_audience_members" (
    "audience_id" integer NOT NULL REFERENCES "feed_audiences" ("id"),
    "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
    PRIMARY KEY ("audience_id", "organization_id"))`,
  `CREATE INDEX "feed_audience_members_org_idx" ON "feed_audience_members" ("organization_id", "audience_id")`,
  // The id of a set of ISPs (interned on first use); null for the empty set. Called by the feed
  // writer only, under the feed lock, so two callers never intern the same set at once.
  `CREATE FUNCTION feed_audience(members uuid[]) RETURNS integer
     LANGUAGE plpgsql VOLATILE AS $$
     DECLARE
       sorted uuid[] := ARRAY(SELECT DISTINCT m FROM unnest(members) AS m WHERE m IS NOT NULL ORDER BY m);
       found integer;
     BEGIN
       IF cardinality(sorted) = 0 THEN RETURN NULL; END IF;
       SELECT a.id INTO found FROM feed_audiences a
        WHERE a.members_md5 = md5(sorted::text) AND a.members = sorted;
       IF found IS NULL THEN
         INSERT INTO feed_audiences (members, members_md5) VALUES (sorted, md5(sorted::text))
         RETURNING id INTO found;
         INSERT INTO feed_audience_members (audience_id, organization_id)
         SELECT found, m FROM unnest(sorted) AS m;
       END IF;
       RETURN found;
     END $$`,
  // The ISPs of several audiences (null or empty: none).
  `CREATE FUNCTION feed_members(ids integer[]) RETURNS uuid[]
     LANGUAGE sql STABLE AS $$
     SELECT coalesce(array_agg(DISTINCT m ORDER BY m), '{}')
       FROM feed_audiences a CROSS JOIN LATERAL unnest(a.members) AS m
      WHERE a.id = ANY(coalesce(ids, '{}'))
   $$`,
  `CREATE FUNCTION feed_set_minus(a uuid[], b uuid[]) RETURNS uuid[]
     LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
     SELECT ARRAY(SELECT unnest(coalesce(a, '{}')) EXCEPT SELECT unnest(coalesce(b, '{}')))
   $$`,
  `CREATE FUNCTION feed_set_and(a uuid[], b uuid[]) RETURNS uuid[]
     LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
     SELECT ARRAY(SELECT unnest(coalesce(a, '{}')) INTERSECT SELECT unnest(coalesce(b, '{}')))
   $$`,
  // Every ISP that has a change or an active entry: its own audience. (Looked up per
  // organization by index; claims only exist beside active entries, and are grouped below.)
  `SELECT feed_audience(ARRAY[o.id]) FROM organizations o
    WHERE EXISTS (SELECT 1 FROM feed_changes c WHERE c.organization_id = o.id)
       OR EXISTS (SELECT 1 FROM feed_active a WHERE a.organization_id = o.id)
    ORDER BY o.id`,
  `CREATE TEMP TABLE "feed_singletons" AS
     SELECT m.organization_id, m.audience_id FROM feed_audience_members m
       JOIN feed_audiences a ON a.id = m.audience_id WHERE cardinality(a.members) = 1`,
  `CREATE TABLE "feed_log" AS
     SELECT c.version, s.audience_id, c.indicator_id, c.op, c.reason, c.request_id,
            c.created_at, c.added_at, c.stix_id
       FROM feed_changes c JOIN feed_singletons s ON s.organization_id = c.organization_id`,
  `CREATE TABLE "feed_active_sets" AS
     SELECT a.indicator_id, s.audience_id, a.since_version, a.stix_id, a.added_at
       FROM feed_active a JOIN feed_singletons s ON s.organization_id = a.organization_id`,
  // A claim's ISPs are grouped into one row; each distinct group is interned once.
  `CREATE TEMP TABLE "feed_claim_groups" AS
     SELECT indicator_id, request_id, array_agg(organization_id ORDER BY organization_id) AS members
       FROM feed_claims GROUP BY indicator_id, request_id`,
  `CREATE TEMP TABLE "feed_claim_audiences" AS
     SELECT members, feed_audience(members) AS audience_id
       FROM (SELECT DISTINCT members FROM feed_claim_groups) d`,
  `CREATE TABLE "feed_claim_sets" AS
     SELECT g.indicator_id, g.request_id, a.audience_id
       FROM feed_claim_groups g JOIN feed_claim_audiences a ON a.members = g.members`,
  `DROP TABLE "feed_claim_groups"`,
  `DROP TABLE "feed_claim_audiences"`,
  `DROP TABLE "feed_singletons"`,
  `DROP TABLE "feed_changes"`,
  `DROP TABLE "feed_active"`,
  `DROP TABLE "feed_claims"`,
  `ALTER TABLE "feed_log"
     ALTER COLUMN "version" SET NOT NULL, ALTER COLUMN "audience_id" SET NOT NULL,
     ALTER COLUMN "indicator_id" SET NOT NULL, ALTER COLUMN "op" SET NOT NULL,
     ALTER COLUMN "reason" SET NOT NULL, ALTER COLUMN "created_at" SET NOT NULL,
     ALTER COLUMN "created_at" SET DEFAULT now(), ALTER COLUMN "added_at" SET NOT NULL,
     ALTER COLUMN "stix_id" SET NOT NULL,
     ADD PRIMARY KEY ("version"),
     ADD CONSTRAINT "feed_log_op_check" CHECK ("op" IN ('add', 'remove')),
     ADD CONSTRAINT "feed_log_reason_check" CHECK ("reason" IN ('block', 'unblock', 'withdrawal', 'expiry', 'revocation'))`,
  `CREATE INDEX "feed_log_audience_version_idx" ON "feed_log" ("audience_id", "version")`,
  `CREATE INDEX "feed_log_indicator_idx" ON "feed_log" ("indicator_id", "audience_id")`,
  `CREATE INDEX "feed_log_stix_idx" ON "feed_log" ("stix_id", "version")`,
  `CREATE INDEX "feed_log_added_at_idx" ON "feed_log" ("added_at")`,
  `ALTER TABLE "feed_active_sets"
     ALTER COLUMN "indicator_id" SET NOT NULL, ALTER COLUMN "audience_id" SET NOT NULL,
     ALTER COLUMN "since_version" SET NOT NULL, ALTER COLUMN "stix_id" SET NOT NULL,
     ALTER COLUMN "added_at" SET NOT NULL,
     ADD PRIMARY KEY ("indicator_id", "audience_id")`,
  `CREATE INDEX "feed_active_sets_audience_idx" ON "feed_active_sets" ("audience_id", "indicator_id")`,
  `ALTER TABLE "feed_claim_sets"
     ALTER COLUMN "indicator_id" SET NOT NULL, ALTER COLUMN "request_id" SET NOT NULL,
     ALTER COLUMN "audience_id" SET NOT NULL,
     ADD PRIMARY KEY ("indicator_id", "request_id")`,
  `CREATE INDEX "feed_claim_sets_request_idx" ON "feed_claim_sets" ("request_id")`,
  // Each ISP's view, with the columns the per-ISP tables had.
  `CREATE VIEW "feed_changes" AS
     SELECT l.version, m.organization_id, l.indicator_id, l.op, l.reason, l.request_id,
            l.created_at, l.added_at, l.stix_id
       FROM feed_log l JOIN feed_audience_members m ON m.audience_id = l.audience_id`,
  `CREATE VIEW "feed_active" AS
     SELECT m.organization_id, a.indicator_id, a.since_version, a.stix_id, a.added_at
       FROM feed_active_sets a JOIN feed_audience_members m ON m.audience_id = a.audience_id`,
  `CREATE VIEW "feed_claims" AS
     SELECT c.indicator_id, m.organization_id, c.request_id
       FROM feed_claim_sets c JOIN feed_audience_members m ON m.audience_id = c.audience_id`,
  `ANALYZE "feed_log"`,
  `ANALYZE "feed_active_sets"`,
  `ANALYZE "feed_claim_sets"`,
  `ANALYZE "feed_audience_members"`,
];

const DOWN = [
  // Each ISP's rows, as the views give them, back into per-ISP tables.
  `CREATE TEMP TABLE "feed_changes_rows" AS SELECT * FROM feed_changes`,
  `CREATE TEMP TABLE "feed_active_rows" AS SELECT * FROM feed_active`,
  `CREATE TEMP TABLE "feed_claims_rows" AS SELECT * FROM feed_claims`,
  `DROP VIEW "feed_changes"`,
  `DROP VIEW "feed_active"`,
  `DROP VIEW "feed_claims"`,
  `DROP TABLE "feed_log"`,
  `DROP TABLE "feed_active_sets"`,
  `DROP TABLE "feed_claim_sets"`,
  `DROP FUNCTION feed_set_and(uuid[], uuid[])`,
  `DROP FUNCTION feed_set_minus(uuid[], uuid[])`,
  `DROP FUNCTION feed_members(integer[])`,
  `DROP FUNCTION feed_audience(uuid[])`,
  `DROP TABLE "feed_audience_members"`,
  `DROP TABLE "feed_audiences"`,
  `CREATE TABLE "feed_changes" (
    "version" bigint PRIMARY KEY,
    "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
    "indicator_id" uuid NOT NULL REFERENCES "indicators" ("id"),
    "op" text NOT NULL CHECK ("op" IN ('add', 'remove')),
    "reason" text NOT NULL CHECK ("reason" IN ('block', 'unblock', 'withdrawal', 'expiry', 'revocation')),
    "request_id" uuid REFERENCES "blocking_requests" ("id"),
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "added_at" timestamptz NOT NULL,
    "stix_id" uuid NOT NULL)`,
  // Versions were shared by the ISPs a change reached; per-ISP rows each need their own. (The
  // versions ISPs hold then count differently: going down is for development databases.)
  `INSERT INTO "feed_changes"
     SELECT row_number() OVER (ORDER BY version, organization_id), organization_id, indicator_id,
            op, reason, request_id, created_at, added_at, stix_id
       FROM feed_changes_rows`,
  `UPDATE "feed_version" SET "last" = (SELECT coalesce(max(version), 0) FROM feed_changes)`,
  `CREATE INDEX "feed_changes_org_version_idx" ON "feed_changes" ("organization_id", "version")`,
  `CREATE INDEX "feed_changes_org_indicator_idx" ON "feed_changes" ("organization_id", "indicator_id", "version")`,
  `CREATE INDEX "feed_changes_org_stix_idx" ON "feed_changes" ("organization_id", "stix_id", "version")`,
  `CREATE INDEX "feed_changes_added_at_idx" ON "feed_changes" ("added_at")`,
  `CREATE TABLE "feed_active" (
    "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
    "indicator_id" uuid NOT NULL REFERENCES "indicators" ("id"),
    "since_version" bigint NOT NULL,
    "stix_id" uuid NOT NULL,
    "added_at" timestamptz NOT NULL,
    PRIMARY KEY ("organization_id", "indicator_id"))`,
  `INSERT INTO "feed_active"
     SELECT a.organization_id, a.indicator_id,
            (SELECT max(c.version) FROM feed_changes c
              WHERE c.organization_id = a.organization_id AND c.indicator_id = a.indicator_id
                AND c.op = 'add'),
            a.stix_id, a.added_at
       FROM feed_active_rows a`,
  `CREATE INDEX "feed_active_indicator_idx" ON "feed_active" ("indicator_id")`,
  `CREATE TABLE "feed_claims" (
    "indicator_id" uuid NOT NULL REFERENCES "indicators" ("id"),
    "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
    "request_id" uuid NOT NULL REFERENCES "blocking_requests" ("id"),
    PRIMARY KEY ("indicator_id", "organization_id", "request_id"))`,
  `INSERT INTO "feed_claims" SELECT * FROM feed_claims_rows`,
  `CREATE INDEX "feed_claims_request_idx" ON "feed_claims" ("request_id")`,
  `DROP TABLE "feed_changes_rows"`,
  `DROP TABLE "feed_active_rows"`,
  `DROP TABLE "feed_claims_rows"`,
];
