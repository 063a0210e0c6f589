import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fair claiming (issue 16: WEBHOOK_MAX_IN_FLIGHT_PER_ORGANIZATION). The deliverer counts each
 * organization's leased deliveries on every claim: leases are cleared when an attempt is
 * recorded or given back, so the pending deliveries with a lease are few, and a partial index
 * keeps the count cheap however big the due backlog is. It then reads the few oldest due
 * deliveries of each active subscription: an index on (subscription, due time) of the pending
 * ones, so that one organization's backlog is never scanned through.
 */
export class WebhookFairClaimIndexes1795934500000 implements MigrationInterface {
  name = 'WebhookFairClaimIndexes1795934500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_leased_idx" ON "webhook_deliveries" ("organization_id")
        WHERE "status" = 'pending' AND "locked_until" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_sub_due_idx" ON "webhook_deliveries"
         ("subscription_id", "next_attempt_at") WHERE "status" = 'pending'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "webhook_deliveries_sub_due_idx"`);
    await queryRunner.query(`DROP INDEX "webhook_deliveries_leased_idx"`);
  }
}
