import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { DepartmentIdentity } from '#src/feeds/snapshots/stix.js';

interface Row {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

const SQL = `SELECT id, name, created_at, updated_at FROM organizations
              WHERE kind = 'department' ORDER BY created_at, id LIMIT 1`;

/**
 * The Department's organization as the STIX identity that creates every indicator (the first
 * Department organization; bootstrap creates it). Read per use: a rename is a new version of
 * the identity object.
 */
@Injectable()
export class DepartmentIdentityService {
  constructor(private readonly dataSource: DataSource) {}

  /** Through `client` when given (inside a snapshot's transaction), else the pool. */
  async load(client?: pg.ClientBase): Promise<DepartmentIdentity> {
    const rows = client
      ? (await client.query<Row>(SQL)).rows
      : await this.dataSource.query<Row[]>(SQL);
    const row = rows[0];
    if (!row) throw new Error('No Department organization exists (bootstrap creates one)');
    return { id: row.id, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at };
  }
}
