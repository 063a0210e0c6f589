import type { Logger as PinoLogger } from 'pino';
import type { Logger as TypeOrmLogger } from 'typeorm';

/** TypeORM's messages through pino. Query text is logged only at `debug`. */
export class PinoTypeOrmLogger implements TypeOrmLogger {
  private readonly out: PinoLogger;

  constructor(logger: PinoLogger) {
    this.out = logger.child({ context: 'TypeORM' });
  }

  logQuery(query: string, parameters?: unknown[]): void {
    this.out.debug({ query, parameterCount: parameters?.length ?? 0 }, 'query');
  }
  logQueryError(error: string | Error, query: string): void {
    this.out.warn({ err: error, query }, 'query failed');
  }
  logQuerySlow(time: number, query: string): void {
    this.out.warn({ durationMs: time, query }, 'slow query');
  }
  logSchemaBuild(message: string): void {
    this.out.debug(message);
  }
  logMigration(message: string): void {
    this.out.info(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.out.warn(String(message));
    else this.out.info(String(message));
  }
}
