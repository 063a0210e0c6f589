import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  EmbeddedPostgres,
  resetEmbeddedPostgres,
} from '#src/platform/database/embedded-postgres.js';

/** Something else listening on 127.0.0.1:`port`. */
function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

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

  it('keeps its port from one start to the next, and moves off it when another program took it', async () => {
    const dataDir = path.join(dir, 'd');
    const first = await EmbeddedPostgres.start({ dataDir, database: 'app' });
    const port = first.port;
    await first.stop();
    expect(Number((await readFile(path.join(dataDir, 'embedded-port'), 'utf8')).trim())).toBe(port);

    const second = await EmbeddedPostgres.start({ dataDir, database: 'app' });
    expect(second.port).toBe(port);
    expect(second.url).toBe(first.url);
    await second.stop();

    // Another program on the kept port: a free one, said in the log and kept from then on.
    const squatter = await occupy(port);
    const messages: string[] = [];
    try {
      const third = await EmbeddedPostgres.start({
        dataDir,
        database: 'app',
        log: (message) => messages.push(message),
      });
      expect(third.port).not.toBe(port);
      expect(await query(third.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
      await third.stop();
      expect(messages.some((m) => m.includes(`port ${port} is in use`))).toBe(true);
      expect(Number((await readFile(path.join(dataDir, 'embedded-port'), 'utf8')).trim())).toBe(
        third.port,
      );
    } finally {
      await close(squatter);
    }
  });

  it('takes the port asked for (EMBEDDED_PG_PORT), and refuses it when it is in use', async () => {
    const dataDir = path.join(dir, 'e');
    const probe = await occupy(0);
    const wanted = (probe.address() as { port: number }).port;
    await expect(
      EmbeddedPostgres.start({ dataDir, database: 'app', port: wanted }),
    ).rejects.toThrow(
      `Port ${wanted} (EMBEDDED_PG_PORT) of 127.0.0.1 is in use by another program`,
    );
    await close(probe);
    const server = await EmbeddedPostgres.start({ dataDir, database: 'app', port: wanted });
    expect(server.port).toBe(wanted);
    await server.stop();
    // Kept, so that unsetting EMBEDDED_PG_PORT later does not move it.
    expect((await EmbeddedPostgres.start({ dataDir, database: 'app' })).port).toBe(wanted);
    await resetEmbeddedPostgres(dataDir); // stops the server left running, removes the data
    expect(existsSync(dataDir)).toBe(false);
  });

  it('reset (npm run db:reset): refused while a service uses the directory', async () => {
    const dataDir = path.join(dir, 'f');
    const server = await EmbeddedPostgres.start({ dataDir, database: 'app' });
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      await writeFile(`${dataDir}.owner`, `${other.pid}\n`);
      await expect(resetEmbeddedPostgres(dataDir)).rejects.toThrow(
        /in use by a running service \(pid \d+\): stop it first/,
      );
      expect(await query(server.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      other.kill();
    }
    // The owner gone (killed), its server still running: stopped, then removed.
    await new Promise((resolve) => other.once('exit', resolve));
    expect(await resetEmbeddedPostgres(dataDir)).toBe('removed');
    expect(existsSync(dataDir)).toBe(false);
    expect(existsSync(`${dataDir}.owner`)).toBe(false);
    await expect(query(server.url, 'SELECT 1')).rejects.toThrow();
    expect(await resetEmbeddedPostgres(dataDir)).toBe('absent');
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
