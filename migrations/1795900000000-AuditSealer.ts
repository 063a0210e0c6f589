import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The role the service's connections act as (created by AuditChain1795890000000). */
const APP_ROLE = 'threat_exchange_app';

/**
 * Chaining after commit (docs/decisions/0012-audit-trail.md, "The sealer"):
 * - `audit_pending` holds the events that committed with their change but are not chained yet:
 *   every field of the event and its digest, the id drawn from `audit_events`' own identity so
 *   that an event keeps its id when the sealer moves it into the chain;
 * - the application role may read, insert and delete there, never update or truncate; a trigger
 *   draws every id itself (a writer cannot choose one, nor rewind the sequence: no UPDATE on it)
 *   and refuses to delete an event that is not in `audit_events` yet with the same id and
 *   digest: nobody drops an event on its way to the chain by a DELETE. The trigger function
 *   names its tables with their schema and fixes its search_path, so that a temporary table
 *   cannot stand in for `audit_events`;
 * The sealer inserts into `audit_events` with the pending row's id (OVERRIDING SYSTEM VALUE).
 */
export class AuditSealer1795900000000 implements MigrationInterface {
  name = 'AuditSealer1795900000000';

  private async sequence(queryRunner: QueryRunner): Promise<string> {
    const [{ sequence }] = (await queryRunner.query(
      `SELECT pg_get_serial_sequence('"audit_events"', 'id') AS sequence`,
    )) as { sequence: string }[];
    return sequence;
  }

  async up(queryRunner: QueryRunner): Promise<void> {
    const sequence = await this.sequence(queryRunner);
    const [{ schema }] = (await queryRunner.query(
      `SELECT quote_ident(current_schema()) AS schema`,
    )) as { schema: string }[];
    await queryRunner.query(
      `CREATE TABLE "audit_pending" (
         "id" bigint PRIMARY KEY,
         "at" timestamptz NOT NULL,
         "actor_type" text NOT NULL CHECK ("actor_type" IN ('user', 'api_client', 'system')),
         "actor_id" uuid,
         "organization_id" uuid,
         "roles" text[] NOT NULL,
         "action" text NOT NULL,
         "object_type" text NOT NULL,
         "object_id" text,
         "summary" jsonb NOT NULL,
         "request_id" text,
         "client_ip" text,
         "digest" bytea NOT NULL CHECK (octet_length("digest") = 32))`,
    );
    await queryRunner.query(
      `CREATE FUNCTION "audit_pending_guard"() RETURNS trigger LANGUAGE plpgsql
         SET search_path = pg_catalog, pg_temp AS $$
       BEGIN
         IF TG_OP = 'INSERT' THEN
           NEW."id" := nextval('${sequence}'::regclass);
           RETURN NEW;
         END IF;
         IF TG_OP = 'DELETE' THEN
           IF EXISTS (SELECT 1 FROM ${schema}."audit_events" e
                       WHERE e."id" = OLD."id" AND e."digest" = OLD."digest") THEN
             RETURN OLD;
           END IF;
           RAISE EXCEPTION 'audit_pending: event % is not chained yet: DELETE refused', OLD."id"
             USING ERRCODE = 'insufficient_privilege';
         END IF;
         RAISE EXCEPTION 'audit_pending: % refused', TG_OP
           USING ERRCODE = 'insufficient_privilege';
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "audit_pending_guard" BEFORE INSERT OR UPDATE OR DELETE ON "audit_pending"
         FOR EACH ROW EXECUTE FUNCTION "audit_pending_guard"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "audit_pending_no_truncate" BEFORE TRUNCATE ON "audit_pending"
         FOR EACH STATEMENT EXECUTE FUNCTION "audit_append_only"()`,
    );
    const [role] = (await queryRunner.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [
      APP_ROLE,
    ])) as unknown[];
    if (role !== undefined) {
      await queryRunner.query(`REVOKE ALL ON "audit_pending" FROM ${APP_ROLE}`);
      await queryRunner.query(`GRANT SELECT, INSERT, DELETE ON "audit_pending" TO ${APP_ROLE}`);
      // nextval needs USAGE only; setval (rewinding the ids) needs UPDATE.
      await queryRunner.query(`REVOKE UPDATE ON SEQUENCE ${sequence} FROM ${APP_ROLE}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // No writer commits an event between the check and the drop.
    await queryRunner.query(`LOCK TABLE "audit_pending" IN ACCESS EXCLUSIVE MODE`);
    const [left] = (await queryRunner.query(`SELECT 1 FROM "audit_pending" LIMIT 1`)) as unknown[];
    if (left !== undefined) {
      throw new Error(
        'audit_pending still holds events that are not chained: start the service once so that it seals them, then revert',
      );
    }
    await queryRunner.query(`DROP TABLE "audit_pending"`);
    await queryRunner.query(`DROP FUNCTION "audit_pending_guard"()`);
    const [role] = (await queryRunner.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [
      APP_ROLE,
    ])) as unknown[];
    if (role !== undefined) {
      await queryRunner.query(
        `GRANT UPDATE ON SEQUENCE ${await this.sequence(queryRunner)} TO ${APP_ROLE}`,
      );
    }
  }
}
