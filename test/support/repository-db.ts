import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ENTITIES } from '#src/app/entities.js';
import { createDataSource } from '#src/platform/database/data-source.js';
import { testDatabaseUrl } from '#test/support/database-urls.js';

/**
 * The repository tier (test/repository/): repositories constructed on a DataSource of the
 * run's migrated database, acting as the service's role (DB_APP_ROLE), with no Nest app and no
 * HTTP. Other test files share the database and run at the same time: every test makes its own
 * rows (Rows below), runs what must leave no trace in a transaction it rolls back
 * (`rolledBack`), and never assumes a table holds only its rows.
 */
export async function repositoryDataSource(poolSize = 4): Promise<DataSource> {
  const ds = await createDataSource(testDatabaseUrl(), {
    DB_POOL_MAX: poolSize,
    DB_CONNECT_TIMEOUT_MS: 5000,
    DB_STATEMENT_TIMEOUT_MS: 10_000,
    role: 'threat_exchange_app',
    entities: ENTITIES,
  });
  return ds.initialize();
}

class RolledBack extends Error {}

/** Runs `work` in a transaction that is always rolled back; returns what `work` returned. */
export async function rolledBack<T>(
  ds: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  try {
    await ds.transaction(async (manager) => {
      result = await work(manager);
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return result as T;
}

/** A value no other test uses: a suffix for names, codes and indicator values. */
export function unique(): string {
  return randomBytes(6).toString('hex');
}

type Kind = 'department' | 'isp' | 'authority';

/** Minimal valid rows, inserted with plain SQL; every call makes new, unique records. */
export class Rows {
  constructor(private readonly ds: DataSource | EntityManager) {}

  private async one<T>(sql: string, params: unknown[]): Promise<T> {
    const rows = await this.ds.query<T[]>(sql, params);
    return rows[0];
  }

  async organization(kind: Kind = 'isp'): Promise<{ id: string; shortCode: string }> {
    const code = `${kind.slice(0, 3)}-${unique()}`.toUpperCase();
    return this.one(
      `INSERT INTO organizations (kind, name, short_code, version) VALUES ($1, $2, $3, 1)
       RETURNING id, short_code AS "shortCode"`,
      [kind, `Repository test ${code}`, code],
    );
  }

  async user(organizationId: string, roles: string[] = ['analyst']): Promise<{ id: string }> {
    return this.one(
      `INSERT INTO users (organization_id, email, name, roles, password_hash, version)
       VALUES ($1, $2, 'Repository test', $3, 'not-a-hash', 1) RETURNING id`,
      [organizationId, `${randomUUID()}@repo.test`, roles],
    );
  }

  async indicator(
    overrides: { type?: string; value?: string; status?: string; validUntil?: Date } = {},
  ): Promise<{ id: string; type: string; value: string }> {
    const type = overrides.type ?? 'domain';
    const value = overrides.value ?? `${unique()}.repo.test`;
    return this.one(
      `INSERT INTO indicators (type, value, status, valid_from, valid_until)
       VALUES ($1, $2, $3, $4, $5) RETURNING id, type, value`,
      [
        type,
        value,
        overrides.status ?? 'active',
        overrides.validUntil ? new Date(overrides.validUntil.getTime() - 86_400_000) : new Date(),
        overrides.validUntil ?? null,
      ],
    );
  }

  /** A blocking request issued by `department`, with these items and (by default) published. */
  async request(
    department: { id: string },
    creatorId: string,
    options: {
      status?: string;
      targets?: string[];
      items?: { indicatorId: string; operation?: 'block' | 'unblock' }[];
      dnsAction?: 'nxdomain' | 'nodata' | 'redirect';
      /** Default: now for a published request, none for a draft. */
      publishedAt?: Date;
    } = {},
  ): Promise<{ id: string; documentNumber: string }> {
    const targets = options.targets ?? [];
    const status = options.status ?? 'published';
    const request = await this.one<{ id: string; documentNumber: string }>(
      `INSERT INTO blocking_requests
         (document_number, title, legal_basis, category, severity, status, targets_all,
          target_organization_ids, dns_action, issued_by, created_by, published_at)
       VALUES ($1, 'Repository test', 'Test basis', 'malware', 'high', $2, $3, $4, $5, $6, $7, $8)
       RETURNING id, document_number AS "documentNumber"`,
      [
        `RT-${unique()}`,
        status,
        targets.length === 0,
        targets,
        options.dnsAction ?? 'nxdomain',
        department.id,
        creatorId,
        options.publishedAt ??
          (status === 'draft' || status === 'pending_approval' ? null : new Date()),
      ],
    );
    for (const item of options.items ?? []) {
      await this.ds.query(
        `INSERT INTO blocking_request_items (request_id, indicator_id, operation) VALUES ($1, $2, $3)`,
        [request.id, item.indicatorId, item.operation ?? 'block'],
      );
    }
    return request;
  }

  /**
   * An assignment. The deadline scheduler's marks (reminded_at, escalated_at) are set unless
   * given as null: the schedulers of other tests, whose clocks may be anywhere, then never
   * claim it.
   */
  async assignment(
    requestId: string,
    organizationId: string,
    options: {
      deadlineAt?: Date;
      status?: string;
      feedVersion?: number;
      remindedAt?: Date | null;
      escalatedAt?: Date | null;
    } = {},
  ): Promise<{ id: string }> {
    const deadlineAt = options.deadlineAt ?? new Date(Date.now() + 86_400_000);
    return this.one(
      `INSERT INTO assignments (request_id, organization_id, deadline_at, status, feed_version,
                                reminded_at, escalated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [
        requestId,
        organizationId,
        deadlineAt,
        options.status ?? 'pending',
        options.feedVersion ?? 0,
        options.remindedAt === undefined ? deadlineAt : options.remindedAt,
        options.escalatedAt === undefined ? deadlineAt : options.escalatedAt,
      ],
    );
  }
}
