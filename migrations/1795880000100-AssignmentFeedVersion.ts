import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The feed version at which an assignment's publication was complete for its ISP: an ISP that
 * states (feed receipt) it applied version N received every item of the assignments with
 * `feed_version <= N` (docs/decisions/0008-confirmations-and-receipts.md).
 *
 * Backfill: the last change that publication wrote to that ISP's feed; when it wrote none (the
 * ISP had every item already, or none goes into feeds), the last version committed before the
 * assignment was created.
 */
export class AssignmentFeedVersion1795880000100 implements MigrationInterface {
  name = 'AssignmentFeedVersion1795880000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "assignments" ADD COLUMN "feed_version" bigint`);
    await queryRunner.query(
      `UPDATE "assignments" a SET "feed_version" = coalesce(
         (SELECT max(c."version") FROM "feed_changes" c
           WHERE c."organization_id" = a."organization_id" AND c."request_id" = a."request_id"
             AND c."reason" IN ('block', 'unblock')),
         (SELECT max(c."version") FROM "feed_changes" c WHERE c."added_at" <= a."created_at"),
         0)`,
    );
    await queryRunner.query(`ALTER TABLE "assignments" ALTER COLUMN "feed_version" SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "assignments" DROP COLUMN "feed_version"`);
  }
}
