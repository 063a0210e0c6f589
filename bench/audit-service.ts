/**
 * The service as `bench/audit.ts` runs it: what main.ts does (createApp, listen), as a process
 * of its own, on a database already migrated; with the audit trail on or off. Not a production
 * entry point: nothing in src/ knows about it.
 *
 *   BENCH_AUDIT=on|off BENCH_AUDIT_PROFILE=0|1 DATABASE_URL=… node dist/bench/audit-service.js
 *   (the rest of the environment as for main.ts; started by bench/audit.ts with an IPC channel)
 *
 * Off: the AuditService instance every module holds is the application's one singleton, so the
 * harness turns it into a no-op after createApp (`record` and `recordWith` own properties that
 * return at once) and takes it out of the DataSource's subscribers: no JCS, no SHA-256, no head
 * lock, no INSERT. Everything else (request context, checkpoints at start, role, pool) is as on.
 *
 * Profile (on only): `append` and `afterTransactionCommit` are wrapped on the instance to time,
 * per append, the head lock (`SELECT … FOR UPDATE` until it returns), the JavaScript between it
 * and the INSERT (times, JCS, SHA-256, JSON), the INSERT+UPDATE statement and the COMMIT that
 * follows while the head stays locked. The parent asks for them with an IPC message.
 *
 * Messages to the parent: {port} once listening; {stats} in answer to 'stats'.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource, type TransactionCommitEvent } from 'typeorm';
import { createApp } from '#src/app.factory.js';
import { AuditService, type Queryable } from '#src/audit/audit.service.js';
import { createLogger } from '#src/common/logging/logger.js';
import { loadConfig } from '#src/config/config.js';

export interface AppendTimes {
  /** Appends (one per audited transaction) and the events they chained. */
  appends: number;
  events: number;
  /** Per append, in ms: waiting for and taking the head lock (the SELECT … FOR UPDATE). */
  lockMs: number[];
  /** From the lock to the INSERT: clock, JCS, SHA-256 of every event, JSON of the rows. */
  jsMs: number[];
  /** The INSERT into audit_events and the UPDATE of audit_head (one statement). */
  insertMs: number[];
  /** From the end of the append to the end of COMMIT (the head is still locked). */
  commitMs: number[];
}

type Mode = 'on' | 'off';

/** The audit trail as a no-op: the bench's "off". */
function switchOff(app: NestFastifyApplication): void {
  const audit = app.get(AuditService);
  const dataSource = app.get(DataSource);
  Object.assign(audit, {
    record: async (): Promise<void> => undefined,
    recordWith: async (): Promise<void> => undefined,
  });
  const at = dataSource.subscribers.indexOf(audit);
  if (at === -1) throw new Error('the AuditService is not a subscriber of the DataSource');
  dataSource.subscribers.splice(at, 1);
}

/** Times every append of the AuditService (see the file's comment). */
function instrument(app: NestFastifyApplication): AppendTimes {
  const audit = app.get(AuditService);
  const times: AppendTimes = {
    appends: 0,
    events: 0,
    lockMs: [],
    jsMs: [],
    insertMs: [],
    commitMs: [],
  };
  const appended = new WeakMap<object, number>();
  const inner = audit as unknown as {
    append(connection: Queryable, events: unknown[]): Promise<void>;
    afterTransactionCommit(commit: TransactionCommitEvent): void;
  };
  const append = inner.append.bind(audit);
  const after = inner.afterTransactionCommit.bind(audit);
  Object.assign(audit, {
    append: async (connection: Queryable, events: unknown[]): Promise<void> => {
      let locked = 0;
      let insertStart = 0;
      const timed: Queryable = {
        query: async (text: string, params?: unknown[]) => {
          const start = performance.now();
          const result = await connection.query(text, params);
          const end = performance.now();
          if (text.includes('FOR UPDATE')) {
            times.lockMs.push(end - start);
            locked = end;
          } else {
            insertStart = start;
            times.insertMs.push(end - start);
          }
          return result;
        },
      };
      await append(timed, events);
      times.jsMs.push(insertStart - locked);
      times.appends++;
      times.events += events.length;
      appended.set(connection, performance.now());
    },
    afterTransactionCommit: (commit: TransactionCommitEvent): void => {
      const end = appended.get(commit.queryRunner);
      if (end !== undefined) {
        times.commitMs.push(performance.now() - end);
        appended.delete(commit.queryRunner);
      }
      after(commit);
    },
  });
  return times;
}

async function main(): Promise<void> {
  const mode = (process.env.BENCH_AUDIT ?? 'on') as Mode;
  if (mode !== 'on' && mode !== 'off') throw new Error(`BENCH_AUDIT must be on or off`);
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const config = loadConfig(process.env);
  const app = await createApp({ config, databaseUrl: url, logger: createLogger(config.LOG_LEVEL) });
  if (mode === 'off') switchOff(app);
  const times = mode === 'on' && process.env.BENCH_AUDIT_PROFILE === '1' ? instrument(app) : null;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.on('message', (message) => {
    if (message === 'stats') process.send?.({ stats: times });
  });
  const stop = (): void => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.send?.({ port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
