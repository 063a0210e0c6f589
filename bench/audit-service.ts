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
 * return at once) and takes it out of the DataSource's subscribers: no JCS, no SHA-256, no
 * INSERT, so nothing for the sealer to chain (its idle poll stays, as in production). Everything
 * else (request context, checkpoints at start, role, pool) is as on.
 *
 * Profile (on only): the AuditService's `append` (the INSERT into audit_pending, in the
 * audited transaction) and the AuditSealer's `round` (one transaction holding the head: read
 * the pending digests, chain, move, commit) are wrapped on their instances to time each call.
 * The parent asks for the times with an IPC message.
 *
 * Messages to the parent: {port} once listening; {stats} in answer to 'stats'.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { createApp } from '#src/app/app.factory.js';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import { AuditService } from '#src/audit/trail/audit.service.js';
import { type Queryable } from '#src/platform/database/queryable.js';
import { createLogger } from '#src/platform/logging/logger.js';
import { loadConfig } from '#src/app/config.js';

export interface AuditTimes {
  /** Audited transactions (one write each) and the events they wrote. */
  writes: number;
  events: number;
  /** Per audited transaction, in ms: its INSERT into audit_pending. */
  writeMs: number[];
  /** Per sealer round that chained something: its transaction, in ms (the head held). */
  roundMs: number[];
  /** Events chained by each of those rounds. */
  roundEvents: number[];
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

/** Times the AuditService's writes and the AuditSealer's rounds (see the file's comment). */
function instrument(app: NestFastifyApplication): AuditTimes {
  const audit = app.get<AuditService, { append(c: Queryable, events: unknown[]): Promise<void> }>(
    AuditService,
  );
  const sealer = app.get<AuditSealer, { round(wait: boolean, upTo?: string): Promise<number> }>(
    AuditSealer,
  );
  const times: AuditTimes = { writes: 0, events: 0, writeMs: [], roundMs: [], roundEvents: [] };
  const append = audit.append.bind(audit);
  const round = sealer.round.bind(sealer);
  Object.assign(audit, {
    append: async (connection: Queryable, events: unknown[]): Promise<void> => {
      const start = performance.now();
      await append(connection, events);
      times.writeMs.push(performance.now() - start);
      times.writes++;
      times.events += events.length;
    },
  });
  Object.assign(sealer, {
    round: async (wait: boolean, upTo?: string): Promise<number> => {
      const start = performance.now();
      const chained = await round(wait, upTo);
      if (chained > 0) {
        times.roundMs.push(performance.now() - start);
        times.roundEvents.push(chained);
      }
      return chained;
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
  const app = await createApp({
    config,
    databaseUrl: url,
    logger: createLogger(config.platform.LOG_LEVEL),
  });
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
