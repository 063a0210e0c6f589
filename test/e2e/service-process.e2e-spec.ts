import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ServiceProcess } from '#test/support/service-process.js';

/** Whether a process runs (a zombie waiting to be reaped does not count). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

async function waitUntilStopped(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && (await isRunning(pid)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !(await isRunning(pid));
}

/**
 * The service as a user runs it (`npm start` → node dist/src/main.js) on its embedded
 * PostgreSQL: configuration errors, kill -9 and restart, SIGTERM. Runs against the build, which
 * `npm test` makes first.
 */
describe('the service process on its embedded PostgreSQL', () => {
  let dir: string;
  let dataDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'threat-exchange-process-'));
    await chmod(dir, 0o755);
    dataDir = path.join(dir, 'pg');
  });
  afterEach(async () => {
    await ServiceProcess.killAll();
  });
  afterAll(async () => {
    // A test that failed half-way may leave the embedded server of dataDir running.
    await ServiceProcess.stopEmbeddedServer(dataDir);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a wrong setting with one line naming the variable, and exits 1', async () => {
    const service = ServiceProcess.start({ PORT: 'eighty', EMBEDDED_PG_DIR: dataDir });
    const { code } = await service.exited;
    expect(code).toBe(1);
    const stderr = service.stderr.join('');
    expect(stderr).toBe(
      'Invalid configuration: PORT must be an integer between 0 and 65535 (got "eighty")\n',
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('starts again after kill -9, then stops on SIGTERM with status 0 and its database with it', async () => {
    const env = {
      PORT: '0',
      EMBEDDED_PG_DIR: dataDir,
      LOG_LEVEL: 'info',
      KEY_ENCRYPTION_KEY_FILE: `${dir}/kek`,
    };
    const first = ServiceProcess.start(env);
    const firstUrl = await first.listening();
    expect((await fetch(`${firstUrl}/health/ready`)).status).toBe(200);
    const pgPid = Number(
      (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0],
    );

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // The database outlives the killed service (orphaned) ...
    expect(await isRunning(pgPid)).toBe(true);

    // ... and the next start adopts it.
    const second = ServiceProcess.start(env);
    const secondUrl = await second.listening();
    expect((await fetch(`${secondUrl}/health/ready`)).status).toBe(200);
    expect(
      second.logs().some((l) => String(l.msg).startsWith('adopting embedded PostgreSQL')),
    ).toBe(true);

    second.child.kill('SIGTERM');
    const { code, signal } = await second.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(second.logs().map((l) => l.msg)).toEqual(
      expect.arrayContaining(['embedded PostgreSQL stopped', 'stopped']),
    );
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    expect(await waitUntilStopped(pgPid)).toBe(true);
  });

  it('on SIGTERM finishes a request in flight before it exits 0', async () => {
    const service = ServiceProcess.start({
      PORT: '0',
      EMBEDDED_PG_DIR: dataDir,
      KEY_ENCRYPTION_KEY_FILE: `${dir}/kek`,
    });
    const url = new URL(await service.listening());
    // A request whose body arrives slowly: in flight when the signal comes.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/api/v1/no-such-route',
          headers: { 'content-type': 'application/json', 'content-length': 11 },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write('{"a":');
      setTimeout(() => {
        service.child.kill('SIGTERM');
        setTimeout(() => req.end('"bcd"}'), 400);
      }, 200);
    });
    const res = await response;
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ status: 404 });
    expect((await service.exited).code).toBe(0);
  });

  it('starts after its database died with it (stale postmaster.pid)', async () => {
    const env = { PORT: '0', EMBEDDED_PG_DIR: dataDir, KEY_ENCRYPTION_KEY_FILE: `${dir}/kek` };
    const first = ServiceProcess.start(env);
    await first.listening();
    const pgPid = Number(
      (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0],
    );
    first.child.kill('SIGKILL');
    await first.exited;
    process.kill(pgPid, 'SIGKILL'); // the whole machine lost power, say
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(true);

    const second = ServiceProcess.start(env);
    const url = await second.listening();
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    second.child.kill('SIGINT');
    expect((await second.exited).code).toBe(0);
  });
});
