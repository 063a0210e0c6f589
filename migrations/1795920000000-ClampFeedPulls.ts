import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pulls recorded before the service clamped them (issue 16) could claim a version the feed
 * never reached (`after=999999999999999` answered 304, TAXII `next=` beyond the feed): the
 * version an ISP "holds" then ran ahead of the feed, and feed status and compliance showed it
 * up to date forever. Such rows are brought down to the committed version; the service now
 * never writes one (FeedPullRecorder).
 *
 * Not undone: the inflated versions were never served.
 */
export class ClampFeedPulls1795920000000 implements MigrationInterface {
  name = 'ClampFeedPulls1795920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE "feed_pulls" p
          SET "to_version" = least(p."to_version", v."last"),
              "from_version" = least(p."from_version", v."last")
         FROM "feed_version" v
        WHERE p."to_version" > v."last" OR p."from_version" > v."last"`,
    );
  }

  async down(): Promise<void> {
    // Nothing to undo: see above.
  }
}
