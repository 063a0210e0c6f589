import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { EmbeddedPostgres } from '#src/platform/database/embedded-postgres.js';

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<Record<string, unknown>>(sql);
    return result.rows;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'threat-exchange-embedded-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('initialises, serves on 127.0.0.1 with a password, keeps data across restarts', async () => {
    const dataDir = path.join(dir, 'a');
    const first = await EmbeddedPostgres.start({ dataDir, database: 'app' });
    expect(new URL(first.url).hostname).toBe('127.0.0.1');
    expect(new URL(first.url).password).not.toBe('');
    await query(first.url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    const noPassword = new URL(first.url);
    noPassword.password = 'wrong';
    await expect(query(noPassword.toString(), 'SELECT 1')).rejects.toThrow(
      /password authentication failed/,
    );
    await first.stop();

    const second = await EmbeddedPostgres.start({ dataDir, database: 'app' });
    try {
      expect(await query(second.url, 'SELECT v FROM kept')).toEqual([{ v: 42 }]);
      const version = (await query(second.url, 'SHOW server_version_num')) as {
        server_version_num: string;
      }[];
      expect(Number(version[0]?.server_version_num)).toBeGreaterThanOrEqual(150000);
    } finally {
      await second.stop();
    }
  });

  it('recovers from a first start killed during initdb', async () => {
    const dataDir = path.join(dir, 'c');
    // What kill -9 during initdb leaves: a half-made staging folder, no data directory.
    await mkdir(path.join(`${dataDir}.init`, 'data'), { recursive: true });
    await writeFile(path.join(`${dataDir}.init`, 'data', 'PG_VERSION'), '18\n');
    const server = await EmbeddedPostgres.start({ dataDir, database: 'app' });
    try {
      expect(await query(server.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await server.stop();
    }
  });

  it('refuses a data directory that another live service process owns', async () => {
    const dataDir = path.join(dir, 'b');
    const server = await EmbeddedPostgres.start({ dataDir, database: 'app' });
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      await writeFile(`${dataDir}.owner`, `${other.pid}\n`);
      await expect(EmbeddedPostgres.start({ dataDir, database: 'app' })).rejects.toThrow(
        /in use by another process \(pid \d+\)/,
      );
      // The CLI next to a running service uses its server and leaves it running.
      const attached = await EmbeddedPostgres.start({
        dataDir,
        database: 'app',
        attachIfInUse: true,
      });
      expect(attached.port).toBe(server.port);
      await attached.stop();
      expect(await query(server.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      other.kill();
      await server.stop();
    }
  });
});
