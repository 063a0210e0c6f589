import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Telemetry of every feed pull (written in batches by FeedPullRecorder; no entity). */
export class FeedPulls1795871337288 implements MigrationInterface {
  name = 'FeedPulls1795871337288';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "feed_pulls" (
      "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
      "actor_type" text NOT NULL CHECK ("actor_type" IN ('user', 'api_client')),
      "actor_id" uuid NOT NULL,
      "format" text NOT NULL,
      "from_version" bigint,
      "to_version" bigint NOT NULL,
      "status" smallint NOT NULL,
      "bytes" bigint NOT NULL DEFAULT 0,
      "at" timestamptz NOT NULL DEFAULT now())`);
    await queryRunner.query(
      `CREATE INDEX "feed_pulls_org_at_idx" ON "feed_pulls" ("organization_id", "at" DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "feed_pulls"`);
  }
}
