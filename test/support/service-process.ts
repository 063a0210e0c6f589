import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { testDatabaseUrl } from '#test/support/database-urls.js';
import { TEST_ADMIN_PASSWORD, TEST_KEY_ENCRYPTION_KEY } from '#test/support/test-app.js';

/**
 * The environment of another instance of the service on the run's test database (the keys
 * and administrator of createTestApp's; no migrations, no assignment scheduler, logs at
 * info), listening on `port` (0: any; `listening()` tells which). `extra` adds or overrides.
 */
export function instanceEnv(
  port: number | string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    PORT: String(port),
    LOG_LEVEL: 'info',
    DATABASE_URL: testDatabaseUrl(),
    DB_MIGRATIONS_RUN: 'false',
    KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    ASSIGNMENT_SCHEDULER_INTERVAL_S: '0',
    ...extra,
  };
}

/** The built service (`node dist/src/main.js`) as a child process, as `npm start` runs it. */
export class ServiceProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private constructor(readonly child: ChildProcess) {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      this.stdout.push(...lines.filter((l) => l.trim()));
    });
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  static readonly started = new Set<ServiceProcess>();

  /**
   * Starts the service with exactly `env` on top of PATH (DATABASE_URL is never inherited).
   * `root`: run `root/dist/src/main.js` from `root` instead of the checkout's build (a copy of
   * what the Docker image holds, say).
   */
  static start(env: Record<string, string>, options: { root?: string } = {}): ServiceProcess {
    const root = options.root ?? PROJECT_ROOT;
    const child = spawn(process.execPath, [path.join(root, 'dist', 'src', 'main.js')], {
      cwd: root,
      // DATABASE_URL is set empty so that a developer's .env cannot fill it in.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child);
    ServiceProcess.started.add(service);
    void service.exited.then(() => ServiceProcess.started.delete(service));
    return service;
  }

  /**
   * The README's start command, `npm start`, without its prestart build (`--ignore-scripts`
   * skips only pre- and post-scripts: the tests run on the build `npm test` made first, which
   * must not change under them). npm runs `start` through `sh -c`, as for a user; the child is
   * npm, in a process group of its own (as a terminal would make it, for Ctrl-C tests).
   */
  static startWithNpm(env: Record<string, string>): ServiceProcess {
    const child = spawn('npm', ['start', '--ignore-scripts'], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: '',
        npm_config_update_notifier: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const service = new ServiceProcess(child);
    ServiceProcess.started.add(service);
    void service.exited.then(() => ServiceProcess.started.delete(service));
    return service;
  }

  /** Kills whatever a failed test left running, and waits for it. */
  static async killAll(): Promise<void> {
    const left = [...ServiceProcess.started];
    for (const service of left) {
      // npm's process group too (npm start): npm dies of SIGKILL without passing it on.
      if (service.child.pid) {
        try {
          process.kill(-service.child.pid, 'SIGKILL');
        } catch {
          // not a group leader (ServiceProcess.start): its own process only
        }
      }
      service.child.kill('SIGKILL');
    }
    await Promise.all(left.map((s) => s.exited));
  }

  /**
   * Stops the embedded PostgreSQL of `dataDir` if a killed service left it running (its
   * postmaster.pid names it); for a test's cleanup.
   */
  static async stopEmbeddedServer(dataDir: string): Promise<void> {
    const pidFile = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
    const pid = Number(pidFile.split('\n')[0]);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // gone already
      }
    }
  }

  /** Resolves with the base URL once the service logs that it listens. */
  async listening(timeoutMs = 60000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.stdout) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'listening' && entry.url) return entry.url;
      }
      if (this.child.exitCode !== null) {
        throw new Error(
          `service exited with ${this.child.exitCode}: ${this.stderr.join('')}${this.stdout.join('\n')}`,
        );
      }
      if (Date.now() > deadline)
        throw new Error(`service did not listen: ${this.stdout.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  logs(): Record<string, unknown>[] {
    return this.stdout
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
