import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The deliverer counts each organization's leased deliveries on every claim (issue 16:
 * WEBHOOK_MAX_IN_FLIGHT_PER_ORGANIZATION). Leases are cleared when an attempt is recorded or
 * given back, so the pending deliveries with a lease are few: this partial index keeps the
 * count cheap however big the due backlog is.
 */
export class WebhookLeaseIndex1795934500000 implements MigrationInterface {
  name = 'WebhookLeaseIndex1795934500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_leased_idx" ON "webhook_deliveries" ("organization_id")
        WHERE "status" = 'pending' AND "locked_until" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "webhook_deliveries_leased_idx"`);
  }
}
