import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Units (docs/units-and-incidents.md): the response context's record of an organization of kind
 * `unit` (its category, district and ASNs) and its networks. Two units never share an address:
 * `unit_networks_no_overlap` refuses a network that overlaps another (the service checks first,
 * to name the other unit; the constraint settles races). `networks_revision` is bumped whenever
 * a unit's networks change, in the same transaction: count(*) and sum(networks_revision) of
 * `units` is the fingerprint that tells matchers to rebuild.
 */
export class Units1795951000000 implements MigrationInterface {
  name = 'Units1795951000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "units" (
         "organization_id" uuid NOT NULL PRIMARY KEY REFERENCES "organizations" ("id"),
         "category" text NOT NULL CHECK ("category" IN ('commune', 'office', 'agency')),
         "district" text CHECK ("district" IS NULL OR length("district") BETWEEN 1 AND 200),
         "asns" bigint[] NOT NULL DEFAULT '{}' CONSTRAINT "units_asns_check" CHECK (
           cardinality("asns") <= 100 AND array_position("asns", NULL) IS NULL
           AND 1 <= ALL ("asns") AND 4294967295 >= ALL ("asns")),
         "networks_revision" integer NOT NULL DEFAULT 0,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         "updated_at" timestamptz NOT NULL DEFAULT now(),
         "version" integer NOT NULL DEFAULT 1)`,
    );
    await queryRunner.query(
      `CREATE INDEX "units_created_idx" ON "units" ("created_at" DESC, "organization_id" DESC)`,
    );
    await queryRunner.query(
      `CREATE TABLE "unit_networks" (
         "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
         "unit_id" uuid NOT NULL REFERENCES "units" ("organization_id") ON DELETE CASCADE,
         "network" cidr NOT NULL,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "unit_networks_no_overlap" EXCLUDE USING gist ("network" inet_ops WITH &&))`,
    );
    await queryRunner.query(`CREATE INDEX "unit_networks_unit_idx" ON "unit_networks" ("unit_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "unit_networks"`);
    await queryRunner.query(`DROP TABLE "units"`);
  }
}
