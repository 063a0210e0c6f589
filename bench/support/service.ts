/** The service under benchmark as a process of its own, from a private copy of the build. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, cp, symlink } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { median } from '#bench/support/figures.js';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits for a child to exit; SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * A private copy of the build (dist/ and package.json, node_modules linked), from which the
 * service and the bare servers run: a rebuild of the working tree during the run (which
 * deletes dist/) cannot pull files from under them.
 */
export async function privateBuild(work: string): Promise<string> {
  const root = path.join(work, 'build');
  await cp(path.join(PROJECT_ROOT, 'dist'), path.join(root, 'dist'), { recursive: true });
  await copyFile(path.join(PROJECT_ROOT, 'package.json'), path.join(root, 'package.json'));
  await symlink(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return root;
}

/** The built service as `npm start` runs it, on the scratch database. */
export class Service {
  private readonly output: string[] = [];
  private stopping = false;
  private constructor(
    readonly child: ChildProcess,
    readonly base: string,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      if (!this.stopping) {
        console.error(`the service exited (${code ?? signal}) in the run: ${this.output.join('')}`);
      }
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** `env`: more settings (a benchmark's own limits, say). */
  static async start(
    root: string,
    databaseUrl: string,
    options: {
      logLevel: string;
      adminEmail: string;
      password: string;
      env?: Record<string, string>;
    },
  ): Promise<Service> {
    const port = await freePort();
    // e.g. BENCH_SERVICE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof': where its time goes
    const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const main = path.join(root, 'dist', 'src', 'main.js');
    const child = spawn(process.execPath, [...nodeArgs, main], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NODE_ENV: 'production',
        LOG_LEVEL: options.logLevel,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        ADMIN_EMAIL: options.adminEmail,
        ADMIN_PASSWORD: options.password,
        ACCESS_TOKEN_TTL_S: '86400',
        EXPIRY_INTERVAL_S: '0',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new Service(child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`the service exited with ${child.exitCode}: ${service.output.join('')}`);
      }
      const ok = await fetch(`${service.base}/health/ready`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) return service;
      if (Date.now() > deadline) {
        service.stopping = true;
        await service.stop();
        throw new Error(`the service did not start: ${service.output.join('')}`);
      }
      await sleep(100);
    }
  }

  stop(): Promise<void> {
    this.stopping = true;
    return stopChild(this.child);
  }
}

/** VmRSS of a process, in bytes. */
export function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** How often RSS is sampled. */
export const RSS_SAMPLE_MS = 20;

/** RSS at rest: the median over `windowMs`, after `settleMs` without requests. */
export async function idleRss(pid: number, settleMs: number, windowMs: number): Promise<number> {
  await sleep(settleMs);
  const values: number[] = [];
  for (let i = 0; i < windowMs / RSS_SAMPLE_MS; i++) {
    values.push(rss(pid));
    await sleep(RSS_SAMPLE_MS);
  }
  return median(values);
}
