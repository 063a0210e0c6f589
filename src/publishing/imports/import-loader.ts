import { once } from 'node:events';
import { Injectable, Logger } from '@nestjs/common';
import type pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { type Queryable, dedicatedClient } from '#src/platform/database/index.js';
import type { IndicatorType } from '#src/publishing/indicators/canonical.js';
import type { IndicatorAttributes } from '#src/publishing/indicators/indicator-attributes.js';

const COPY_BATCH_ROWS = 2000;
/**
 * Memory of the import's own connection: the staging table stays in memory (about 100 MB per
 * million rows) and the merge sorts it in memory. Allocated only as far as used.
 */
const TEMP_BUFFERS = '256MB';
const MERGE_WORK_MEM = '128MB';

/** The job's defaults, for the rows that leave a field empty. */
export interface ImportDefaults {
  tlp?: string;
  source?: string;
  tags?: string[];
  confidence?: number;
  validUntil?: string;
}

/**
 * The database side of bulk imports (decision 0006): each import runs on a connection of its
 * own, holding the job's advisory lock while it lives, in one transaction that stages the rows
 * by COPY into a temporary table and merges them into `indicators` set-based.
 */
@Injectable()
export class ImportLoader {
  private readonly log = new Logger(ImportLoader.name);

  constructor(private readonly dataSource: DataSource) {}

  /** A connection of its own (no statement timeout), holding the job's lock while it lives. */
  async open(jobId: string): Promise<ImportSession> {
    const client = dedicatedClient(this.dataSource, 'import');
    client.on('error', (error) => this.log.warn(`Import connection error: ${error.message}`));
    try {
      await client.connect();
      // Before the session's first temporary table, or it cannot change.
      await client.query(`SET temp_buffers = '${TEMP_BUFFERS}'`);
      // A transaction left idle (a stuck process) does not hold back vacuum for long.
      await client.query(`SET idle_in_transaction_session_timeout = '5min'`);
      await client.query(`SELECT pg_advisory_lock(hashtextextended($1::text, 0))`, [jobId]);
      return new ImportSession(client);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }
}

/**
 * One import's connection and transaction. Nothing is written to `indicators` before the
 * merge commits, so an import abandoned at any point leaves nothing behind.
 */
export class ImportSession {
  constructor(private readonly client: pg.Client) {}

  /** This connection, for what must commit with the merge (the job's report, its audit event). */
  get connection(): Queryable {
    return this.client;
  }

  /** Opens the transaction and its staging table (dropped when the transaction ends). */
  async begin(): Promise<void> {
    await this.client.query('BEGIN');
    await this.client.query(
      `CREATE TEMP TABLE import_rows (
         line integer, type text, value text, tlp text, confidence smallint, tags text[],
         source text, description text, valid_from timestamptz, valid_until timestamptz
       ) ON COMMIT DROP`,
    );
  }

  /** A COPY into the staging table. */
  copy(): StagingCopy {
    return new StagingCopy(
      this.client.query(
        copyFrom(
          `COPY import_rows (line, type, value, tlp, confidence, tags, source, description, valid_from, valid_until) FROM STDIN`,
        ),
      ),
    );
  }

  /**
   * The set-based merge of the staging table into `indicators`, the job's defaults filling
   * the empty fields; returns how many indicators it created (the others existed already).
   */
  async merge(defaults: ImportDefaults, createdBy: string | null): Promise<number> {
    await this.client.query(`SET LOCAL work_mem = '${MERGE_WORK_MEM}'`);
    // In index order: the unique (type, value) and value indexes then take their entries in
    // order instead of at random (about twice as fast on a million rows). Within one value,
    // the first row of the file wins.
    const result = await this.client.query(
      `INSERT INTO indicators (type, value, tlp, confidence, tags, source, description,
                               valid_from, valid_until, created_by)
       SELECT r.type, r.value, coalesce(r.tlp, $1, 'AMBER'), coalesce(r.confidence, $2),
              coalesce(r.tags, $3::text[], '{}'), coalesce(r.source, $4), r.description,
              coalesce(r.valid_from, now()), coalesce(r.valid_until, $5), $6
         FROM import_rows r
        ORDER BY r.type, r.value, r.line
       ON CONFLICT (type, value) DO NOTHING`,
      [
        defaults.tlp ?? null,
        defaults.confidence ?? null,
        defaults.tags ?? null,
        defaults.source ?? null,
        defaults.validUntil ?? null,
        createdBy,
      ],
    );
    return result.rowCount ?? 0;
  }

  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }

  /** Rolls back and closes the connection (which frees the job's lock); never throws. */
  async abandon(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => undefined);
    await this.close();
  }

  /** Closes the connection (which frees the job's lock); never throws. */
  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/**
 * Rows on their way into the staging table: queued in batches of COPY text, each batch written
 * to the COPY stream with back-pressure (waiting for it to drain when PostgreSQL is behind).
 */
export class StagingCopy {
  private readonly done: Promise<unknown[]>;
  private batch: string[] = [];

  constructor(private readonly stream: CopyStreamQuery) {
    this.done = once(stream, 'finish');
    this.done.catch(() => undefined);
    // `done` (and a flush's wait for 'drain') report the COPY's failure; the stream may emit a
    // second error once they stopped listening (a destroy, then the server's refusal of the
    // COPY): never an uncaught exception.
    stream.on('error', () => undefined);
  }

  /** Queues one row; true when the batch is full and should be flushed. */
  add(line: number, type: IndicatorType, value: string, a: IndicatorAttributes): boolean {
    this.batch.push(
      `${line}\t${type}\t${copyField(value)}\t${a.tlp ?? '\\N'}\t${
        a.confidence ?? '\\N'
      }\t${a.tags ? copyField(arrayLiteral(a.tags)) : '\\N'}\t${copyField(a.source)}\t${copyField(
        a.description,
      )}\t${a.validFrom?.toISOString() ?? '\\N'}\t${a.validUntil?.toISOString() ?? '\\N'}\n`,
    );
    return this.batch.length >= COPY_BATCH_ROWS;
  }

  /** Writes the queued rows. */
  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const ok = this.stream.write(this.batch.join(''));
    this.batch = [];
    if (!ok) await once(this.stream, 'drain');
  }

  /** Writes what is queued and ends the COPY, once PostgreSQL has taken every row. */
  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await this.done;
  }

  /** Aborts the COPY (the transaction then fails). */
  destroy(error: Error): void {
    this.stream.destroy(error);
  }
}

/** COPY text format: backslash, tab, newline and carriage return escaped; null as \N. */
function copyField(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      )
    : value;
}

/** Tags as a PostgreSQL array literal: each element quoted, with " and backslash escaped. */
function arrayLiteral(tags: string[]): string {
  return `{${tags.map((tag) => `"${tag.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
