import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ProblemType, serviceUnavailable } from '#src/platform/problem/index.js';
import { PlatformConfig } from '#src/platform/config/index.js';

export interface HealthStatus {
  status: 'ok';
  checks?: Record<string, 'up'>;
}

/** How long the readiness probe waits for the database before calling it down. */
const READY_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PlatformConfig) private readonly config: PlatformConfig,
  ) {}

  live(): HealthStatus {
    return { status: 'ok' };
  }

  /** Ready when the database answers a trivial query in time; otherwise 503 problem+json. */
  async ready(): Promise<HealthStatus> {
    const up = await this.databaseAnswers();
    if (!up) {
      throw serviceUnavailable(
        'The database does not answer.',
        this.config.DB_UNAVAILABLE_RETRY_AFTER_S,
        {
          type: ProblemType.notReady,
          title: 'The service is not ready',
          extensions: { checks: { database: 'down' } },
        },
      );
    }
    return { status: 'ok', checks: { database: 'up' } };
  }

  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
    });
    try {
      const query = this.dataSource.query('SELECT 1').then(
        () => true,
        () => false,
      );
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
