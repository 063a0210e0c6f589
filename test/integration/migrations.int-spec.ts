import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Column,
  DataSource,
  Entity,
  PrimaryGeneratedColumn,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import { createDataSource, dataSourceOptions } from '#src/platform/database/data-source.js';
import { ENTITIES } from '#src/app/entities.js';
import {
  revertLastMigration,
  runMigrations,
  schemaDrift,
} from '#src/platform/database/migrations.js';
import { testDatabaseUrl } from '#test/support/database-urls.js';

const DB = { DB_POOL_MAX: 4, DB_CONNECT_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 };

/** An entity that no migration creates: the drift check must notice it. */
@Entity({ name: 'drift_probe' })
class DriftProbe {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'text' })
  label!: string;
}

class CreateProbeTable1700000000000 implements MigrationInterface {
  name = 'CreateProbeTable1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE migration_probe (id int PRIMARY KEY)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE migration_probe');
  }
}

async function tableExists(ds: DataSource, name: string): Promise<boolean> {
  const rows = await ds.query<{ t: string | null }[]>('SELECT to_regclass($1) AS t', [name]);
  return rows[0]?.t !== null;
}

describe('migrations on a real PostgreSQL', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = await createDataSource(testDatabaseUrl(), { ...DB, entities: ENTITIES });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
  });

  it('the migrated database matches the entities exactly (no drift)', async () => {
    expect(await runMigrations(ds)).toEqual([]); // global setup applied them all
    expect(await schemaDrift(ds)).toEqual({ up: [], down: [] });
  });

  it('reports drift when an entity has no migration', async () => {
    const drifted = new DataSource({
      ...(await dataSourceOptions(testDatabaseUrl(), DB)),
      entities: [...ENTITIES, DriftProbe],
    });
    await drifted.initialize();
    try {
      const drift = await schemaDrift(drifted);
      expect(drift.up.join('\n')).toMatch(/CREATE TABLE "drift_probe"/);
      expect(drift.down.join('\n')).toMatch(/DROP TABLE "drift_probe"/);
    } finally {
      await drifted.destroy();
    }
  });

  it('migrates with a pool of a single connection', async () => {
    const single = new DataSource({
      ...(await dataSourceOptions(testDatabaseUrl(), { ...DB, DB_POOL_MAX: 1 })),
      migrations: [CreateProbeTable1700000000000],
      migrationsTableName: 'probe_single_migrations',
    });
    await single.initialize();
    try {
      expect((await runMigrations(single)).map((m) => m.name)).toEqual([
        'CreateProbeTable1700000000000',
      ]);
      await revertLastMigration(single);
      expect(await tableExists(single, 'migration_probe')).toBe(false);
    } finally {
      await single.query('DROP TABLE IF EXISTS probe_single_migrations');
      await single.destroy();
    }
  });

  it('runs and reverts a migration, recording it, and two instances migrating at once apply it once', async () => {
    const options = {
      ...(await dataSourceOptions(testDatabaseUrl(), DB)),
      migrations: [CreateProbeTable1700000000000],
      migrationsTableName: 'probe_migrations',
    };
    const a = new DataSource(options);
    const b = new DataSource(options);
    await Promise.all([a.initialize(), b.initialize()]);
    try {
      const [ranA, ranB] = await Promise.all([runMigrations(a), runMigrations(b)]);
      expect(ranA.length + ranB.length).toBe(1);
      expect(await tableExists(a, 'migration_probe')).toBe(true);
      await revertLastMigration(a);
      expect(await tableExists(a, 'migration_probe')).toBe(false);
      const recorded = await a.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM probe_migrations',
      );
      expect(recorded[0]?.n).toBe(0);
    } finally {
      await a.query('DROP TABLE IF EXISTS probe_migrations');
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });
});
