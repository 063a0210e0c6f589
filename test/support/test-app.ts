import { Writable } from 'node:stream';
import type { ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Clock } from '#src/platform/clock/clock.js';
import { createApp } from '#src/app/app.factory.js';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import { createLogger } from '#src/platform/logging/logger.js';
import { loadConfig, type AppConfig } from '#src/app/config.js';
import { testDatabaseUrl } from '#test/support/database-urls.js';

/** Every test app of a run shares the database, hence its signing keys and this key. */
export const TEST_KEY_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
export const TEST_ADMIN_PASSWORD = 'bootstrap-admin-password';

/** Log lines written by the application under test, parsed. */
export class CapturedLogs {
  readonly lines: Record<string, unknown>[] = [];

  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });

  withRequestId(requestId: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.requestId === requestId);
  }
}

export interface TestApp {
  app: NestFastifyApplication;
  /** The HTTP server to hand to supertest. */
  server: NestFastifyApplication['getHttpServer'] extends () => infer S ? S : never;
  logs: CapturedLogs;
  config: AppConfig;
  /**
   * Chains every audit event committed so far (the sealer does so within
   * AUDIT_SEAL_INTERVAL_MS): call it before reading `audit_events` directly.
   */
  sealAudit(): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  databaseUrl?: string;
  extraImports?: ModuleMetadata['imports'];
  clock?: Clock;
}

/** The real application (same factory as main.ts) on the run's test database, logs captured. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    // Rate limits are tested on their own; elsewhere they would only make tests flaky.
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    // The deadline scheduler mutates assignments of every test sharing the database: tests that
    // need it run it by hand (runOnce) with their clock.
    ASSIGNMENT_SCHEDULER_INTERVAL_S: '0',
    // Likewise the response scheduler (cases' quiet period and reminders, incidents' SLA).
    RESPONSE_SCHEDULER_INTERVAL_S: '0',
    ...options.env,
  });
  const logs = new CapturedLogs();
  const app = await createApp({
    config,
    databaseUrl: options.databaseUrl ?? testDatabaseUrl(),
    logger: createLogger(config.platform.LOG_LEVEL, logs.stream),
    extraImports: options.extraImports,
    clock: options.clock,
  });
  return {
    app,
    server: app.getHttpServer(),
    logs,
    config,
    sealAudit: () => app.get(AuditSealer).flush(),
    close: () => app.close(),
  };
}
