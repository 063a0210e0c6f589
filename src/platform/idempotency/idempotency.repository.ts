import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The answer stored for a key, replayed to a retry. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface KeyRow {
  method: string;
  path: string;
  requestHash: Buffer;
  state: 'in_flight' | 'done';
  lockedUntil: Date | null;
  response: StoredResponse | null;
}

export interface ClaimInput {
  principalId: string;
  key: string;
  method: string;
  path: string;
  requestHash: Buffer;
  now: Date;
  lockedUntil: Date;
  expiresAt: Date;
}

interface RawRow {
  method: string;
  path: string;
  request_hash: Buffer;
  state: 'in_flight' | 'done';
  locked_until: Date | null;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
}

/**
 * `idempotency_keys`, one row per (caller, key). Each statement commits on its own (autocommit
 * on the pool), never inside the operation's transaction: a concurrent retry must see the
 * claim at once, and the operation's rollback must not take the claim with it.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Claims the key for this request: a new row, or an existing one that expired, or one left
   * in flight past its lease (by an instance that crashed) for the same request. True if
   * this request now holds the key.
   */
  async claim(c: ClaimInput): Promise<boolean> {
    const inserted = await this.dataSource.query<unknown[]>(
      `INSERT INTO idempotency_keys
         (principal_id, key, method, path, request_hash, state, locked_until, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'in_flight', $6, $7, $8)
       ON CONFLICT (principal_id, key) DO NOTHING
       RETURNING 1`,
      [c.principalId, c.key, c.method, c.path, c.requestHash, c.lockedUntil, c.now, c.expiresAt],
    );
    if (inserted.length > 0) return true;
    const [rows] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE idempotency_keys
          SET method = $3, path = $4, request_hash = $5, state = 'in_flight', locked_until = $6,
              response_status = NULL, response_headers = NULL, response_body = NULL,
              created_at = $7, expires_at = $8
        WHERE principal_id = $1 AND key = $2
          AND (expires_at <= $7
               OR (state = 'in_flight' AND locked_until <= $7 AND request_hash = $5))
       RETURNING 1`,
      [c.principalId, c.key, c.method, c.path, c.requestHash, c.lockedUntil, c.now, c.expiresAt],
    );
    return rows.length > 0;
  }

  async find(principalId: string, key: string): Promise<KeyRow | undefined> {
    const rows = await this.dataSource.query<RawRow[]>(
      `SELECT method, path, request_hash, state, locked_until,
              response_status, response_headers, response_body
         FROM idempotency_keys WHERE principal_id = $1 AND key = $2`,
      [principalId, key],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      method: r.method,
      path: r.path,
      requestHash: r.request_hash,
      state: r.state,
      lockedUntil: r.locked_until,
      response:
        r.state === 'done' && r.response_status !== null
          ? {
              status: r.response_status,
              headers: r.response_headers ?? {},
              body: r.response_body ?? Buffer.alloc(0),
            }
          : null,
    };
  }

  /** The request finished: its answer is stored, for retries until the key expires. */
  async complete(
    principalId: string,
    key: string,
    requestHash: Buffer,
    response: StoredResponse,
  ): Promise<boolean> {
    const [rows] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE idempotency_keys
          SET state = 'done', locked_until = NULL, response_status = $4,
              response_headers = $5, response_body = $6
        WHERE principal_id = $1 AND key = $2 AND state = 'in_flight' AND request_hash = $3
       RETURNING 1`,
      [
        principalId,
        key,
        requestHash,
        response.status,
        JSON.stringify(response.headers),
        response.body,
      ],
    );
    return rows.length > 0;
  }

  /** The request failed in a way a retry may fix (5xx, 409, 429): the key is free again. */
  async release(principalId: string, key: string, requestHash: Buffer): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys
        WHERE principal_id = $1 AND key = $2 AND state = 'in_flight' AND request_hash = $3`,
      [principalId, key, requestHash],
    );
  }

  /** Deletes up to `limit` expired keys; returns how many. */
  async purgeExpired(now: Date, limit: number): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM idempotency_keys
        WHERE (principal_id, key) IN (
          SELECT principal_id, key FROM idempotency_keys
           WHERE expires_at <= $1
           ORDER BY expires_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED)`,
      [now, limit],
    );
    return count;
  }
}
