import { Transform, type Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import {
  HttpStatus,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import type { Principal } from '#src/identity/index.js';
import { paginate, type Page, type PageQuery } from '#src/platform/pagination/index.js';
import {
  ProblemException,
  ProblemType,
  httpProblem,
  badRequest,
  notFound,
  payloadTooLarge,
  rateLimited,
  requestTimeout,
  validationProblem,
} from '#src/platform/problem/index.js';
import { PublishingConfig } from '#src/publishing/publishing.config.js';
import {
  canonicalize,
  canonicalizeUntyped,
  INDICATOR_TYPES,
  refusalReason,
  type IndicatorType,
} from '#src/publishing/indicators/canonical.js';
import { parseAttributes } from '#src/publishing/indicators/indicator-attributes.js';
import {
  toImportResponse,
  type ImportJobResponse,
  type ImportOptions,
} from '#src/publishing/imports/dto/import.dto.js';
import type {
  ImportJobEntity,
  ImportStatus,
  RejectedRow,
} from '#src/publishing/imports/import-job.entity.js';
import { ImportLoader, type ImportSession } from '#src/publishing/imports/import-loader.js';
import { ImportsRepository, INTERRUPTED } from '#src/publishing/imports/imports.repository.js';
import { formatFromContentType, readRows } from '#src/publishing/imports/row-sources/read-rows.js';
import {
  ImportFormatError,
  ImportTooLargeError,
  type ImportFormat,
  type RawRow,
} from '#src/publishing/imports/row-sources/row.js';
import { Clock } from '#src/platform/clock/index.js';
import { storableText } from '#src/platform/json/index.js';

const MAX_REPORTED = 1000;
const PROGRESS_EVERY_ROWS = 50_000;
const TYPES = new Set<string>(INDICATOR_TYPES);

interface Counters {
  rowsRead: number;
  /** Rows written to the staging table. */
  staged: number;
  bytesRead: number;
  rejected: number;
  rejectedRows: RejectedRow[];
}

/**
 * Bulk import: the body streams through the row parser and canonicalization into the
 * {@link ImportLoader}'s staging COPY, on a connection of its own inside one transaction; its
 * set-based merge then writes `indicators`. Nothing is written to `indicators` before the
 * merge commits, so a failed import leaves nothing behind. This service keeps the rules (limits,
 * row checks, reject mode), the job's report and audit events, and the HTTP problems.
 */
@Injectable()
export class ImportsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(ImportsService.name);
  private readonly inFlight = new Set<Promise<void>>();
  /** Jobs this instance is reading or merging. */
  private readonly running = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly imports: ImportsRepository,
    private readonly loader: ImportLoader,
    private readonly audit: AuditLog,
    private readonly config: PublishingConfig,
    private readonly clock: Clock,
  ) {}

  /** Imports whose process died (their connection's lock is free) are marked failed. */
  async onApplicationBootstrap(): Promise<void> {
    const n = await this.dataSource.transaction(async (manager) => {
      const failed = await this.imports.failOrphans(manager);
      for (const job of failed) await this.recordInterrupted(manager, job.id, job.status);
      return failed.length;
    });
    if (n > 0) this.log.warn(`${n} interrupted import(s) marked failed`);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  list(query: PageQuery): Promise<Page<ImportJobResponse>> {
    return paginate(query, (after, limit) => this.imports.listPage(after, limit), toImportResponse);
  }

  async get(id: string): Promise<ImportJobResponse> {
    let job = await this.imports.findById(id);
    if (!job) throw notFound('import');
    // A job still running whose connection is gone (its instance died) is failed on sight.
    if ((job.status === 'receiving' || job.status === 'merging') && !this.running.has(id)) {
      const failed = await this.dataSource.transaction(async (manager) => {
        const before = await this.imports.failIfOrphan(manager, id);
        if (before !== undefined) await this.recordInterrupted(manager, id, before);
        return before !== undefined;
      });
      if (failed) job = (await this.imports.findById(id))!;
    }
    return toImportResponse(job);
  }

  /**
   * Reads the whole body into the staging table, then answers with the job while the merge
   * runs. A body that cannot be read (syntax, size) is a 400/413 and the job is failed.
   */
  async start(
    caller: Principal,
    body: Readable,
    contentType: string,
    contentLength: number | undefined,
    options: ImportOptions,
  ): Promise<ImportJobResponse> {
    const format = formatFromContentType(contentType);
    if (format === undefined) {
      throw httpProblem(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'Send application/json, text/csv or text/plain in UTF-8',
      );
    }
    if (contentLength !== undefined && contentLength > this.config.IMPORT_MAX_BYTES) {
      throw tooLarge(this.config.IMPORT_MAX_BYTES);
    }
    // A default expiry in the past would make every row that takes it fail the merge.
    if (options.validUntil && options.validUntil <= this.clock.now()) {
      throw validationProblem([{ name: 'validUntil', reason: 'validUntil must be in the future' }]);
    }
    if (this.running.size >= this.config.IMPORT_MAX_CONCURRENT) {
      throw rateLimited(
        `${this.running.size} imports are running on this instance (IMPORT_MAX_CONCURRENT); retry later`,
        {
          name: 'imports-per-instance',
          value: this.config.IMPORT_MAX_CONCURRENT,
          retryAfterSeconds: 30,
        },
      );
    }
    const mode = options.mode ?? 'reject';
    // The job's connection takes the job's lock before the job exists, so that no instance can
    // take it for an orphan in between.
    const jobId = randomUUID();
    this.running.add(jobId);
    let session: ImportSession;
    try {
      session = await this.loader.open(jobId);
    } catch (error) {
      this.running.delete(jobId);
      throw error;
    }
    const job = await this.imports
      .create({
        id: jobId,
        organizationId: caller.organizationId,
        createdBy: caller.kind === 'user' ? caller.id : null,
        format,
        mode,
        bytesExpected: contentLength === undefined ? null : String(contentLength),
        defaults: {
          ...(options.tlp ? { tlp: options.tlp } : {}),
          ...(options.source ? { source: options.source } : {}),
          ...(options.tags
            ? { tags: [...new Set(options.tags.split(';').map((t) => t.trim()))] }
            : {}),
          ...(options.confidence !== undefined ? { confidence: options.confidence } : {}),
          ...(options.validUntil ? { validUntil: options.validUntil.toISOString() } : {}),
        },
      })
      .catch(async (error: unknown) => {
        this.running.delete(jobId);
        await session.close();
        throw error;
      });
    const counters: Counters = {
      rowsRead: 0,
      staged: 0,
      bytesRead: 0,
      rejected: 0,
      rejectedRows: [],
    };
    try {
      await session.begin();
      await this.stage(session, job, body, format, counters);
    } catch (error) {
      await this.abandon(session, caller, job.id, counters, error);
      if (error instanceof ImportTooLargeError) throw tooLarge(this.config.IMPORT_MAX_BYTES);
      if (error instanceof ImportIdleError) {
        // The rest of the body will not be read: the connection closes after the answer.
        throw requestTimeout(error.message, {
          name: 'import-idle-seconds',
          value: this.config.IMPORT_IDLE_TIMEOUT_S,
        });
      }
      if (error instanceof ImportFormatError) {
        throw badRequest(
          error.line === undefined ? error.message : `line ${error.line}: ${error.message}`,
          {
            type: ProblemType.malformedBody,
            title: 'The import body cannot be read',
            extensions: { importId: job.id },
          },
        );
      }
      throw error;
    }
    if (mode === 'reject' && counters.rejected > 0) {
      await this.abandon(
        session,
        caller,
        job.id,
        counters,
        new Error(`${counters.rejected} row(s) rejected in reject mode; nothing was imported`),
      );
      return this.get(job.id);
    }
    try {
      await this.imports.progress(job.id, counters, 'merging');
    } catch (error) {
      await this.abandon(session, caller, job.id, counters, error);
      throw error;
    }
    const merge = this.merge(session, caller, job, counters).finally(() => {
      this.inFlight.delete(merge);
      this.running.delete(jobId);
    });
    this.inFlight.add(merge);
    return this.get(job.id);
  }

  private async stage(
    session: ImportSession,
    job: ImportJobEntity,
    body: Readable,
    format: ImportFormat,
    counters: Counters,
  ): Promise<void> {
    // A client that hung up before this point (while the job was being recorded): its body was
    // destroyed already, and will emit neither data nor 'error' again; reading it would wait for
    // the idle timeout.
    if (body.destroyed && !body.readableEnded) {
      throw (
        body.errored ?? new Error('the client closed the connection before the end of the body')
      );
    }
    // A client that stops sending (without closing) fails the import after IMPORT_IDLE_TIMEOUT_S.
    const seconds = this.config.IMPORT_IDLE_TIMEOUT_S;
    const idle = setTimeout(() => {
      // Only our side of the pipe: destroying the request itself would drop the connection
      // before the 408 is sent.
      counted.destroy(new ImportIdleError(seconds));
    }, seconds * 1000);
    const counted = body.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          counters.bytesRead += chunk.length;
          idle.refresh();
          callback(null, chunk);
        },
        flush(callback) {
          clearTimeout(idle);
          callback();
        },
      }),
    );
    body.on('error', (error) => counted.destroy(error));
    // The reader below sees every error of `counted`; this listener outlives it, so that an error
    // arriving after the reading ended (a late hang-up) cannot become an uncaught exception.
    counted.on('error', () => undefined);
    counted.on('close', () => clearTimeout(idle));
    const copy = session.copy();
    const rejectMode = job.mode === 'reject';
    const now = this.clock.now();
    const defaultValidUntil =
      typeof job.defaults.validUntil === 'string' ? new Date(job.defaults.validUntil) : undefined;
    let nextProgress = PROGRESS_EVERY_ROWS;
    const reject = (row: RawRow, reason: string): void => {
      counters.rejected++;
      if (counters.rejectedRows.length < MAX_REPORTED) {
        // Quoted as storable text (the value may hold NUL, a lone surrogate, or a pair the cut
        // would split): PostgreSQL would refuse the whole report, and with it the import.
        counters.rejectedRows.push({
          line: row.line,
          value: storableText(row.value, 200),
          reason: storableText(reason, 300),
        });
      }
    };
    try {
      for await (const row of readRows(counted, format, {
        maxRows: this.config.IMPORT_MAX_ROWS,
        maxBytes: this.config.IMPORT_MAX_BYTES,
      })) {
        counters.rowsRead++;
        if (row.error !== undefined) {
          reject(row, row.error);
          continue;
        }
        let type: IndicatorType | undefined;
        if (row.type !== undefined) {
          const given = row.type.trim().toLowerCase();
          if (!TYPES.has(given)) {
            reject(row, `unknown type ${row.type}`);
            continue;
          }
          type = given as IndicatorType;
        }
        const canonical =
          type === undefined ? canonicalizeUntyped(row.value) : canonicalize(type, row.value);
        if (!canonical.ok) {
          reject(row, refusalReason(canonical));
          continue;
        }
        const attrs = parseAttributes(row);
        if (!attrs.ok) {
          reject(row, attrs.reason);
          continue;
        }
        const a = attrs.value;
        const validUntil = a.validUntil ?? defaultValidUntil;
        if (validUntil && validUntil <= (a.validFrom ?? now)) {
          reject(row, 'validUntil is not after validFrom (or now)');
          continue;
        }
        // In reject mode nothing will be merged once a row is bad: keep reading for the report only.
        if (rejectMode && counters.rejected > 0) continue;
        const full = copy.add(row.line, canonical.type, canonical.value, a);
        counters.staged++;
        if (full) await copy.flush();
        if (counters.rowsRead >= nextProgress) {
          nextProgress += PROGRESS_EVERY_ROWS;
          await this.imports.progress(job.id, counters, 'receiving');
        }
      }
      await copy.end();
    } catch (error) {
      copy.destroy(error as Error);
      throw error;
    }
  }

  /** The set-based merge, then the job's final report; runs after the 202. */
  private async merge(
    session: ImportSession,
    caller: Principal,
    job: ImportJobEntity,
    counters: Counters,
  ): Promise<void> {
    try {
      const created = await session.merge(job.defaults, job.createdBy);
      const existing = counters.staged - created;
      const finished = await this.imports.finish(
        job.id,
        counters,
        { status: 'succeeded', created, existing },
        session.connection,
      );
      await this.audit.recordWith(session.connection, {
        actor: caller,
        action: 'import.complete',
        objectType: 'import',
        objectId: job.id,
        summary: {
          format: job.format,
          mode: job.mode,
          rows: counters.rowsRead,
          created,
          existing,
          rejected: counters.rejected,
        },
      });
      await session.commit();
      void finished;
    } catch (error) {
      this.log.warn(`Import ${job.id} failed during the merge: ${String(error)}`);
      await this.abandon(
        session,
        caller,
        job.id,
        counters,
        new Error('the merge failed; nothing was imported'),
      );
      return;
    }
    await session.close();
  }

  /**
   * Rolls back, closes the connection and records the failure: the job's report and its audit
   * event in one transaction. Should that fail too, the job stays running until it is found
   * orphaned (its lock is free once this connection is closed), failed and recorded then.
   */
  private async abandon(
    session: ImportSession,
    caller: Principal,
    jobId: string,
    counters: Counters,
    error: unknown,
  ): Promise<void> {
    await session.abandon();
    const message = storableText(error instanceof Error ? error.message : String(error), 1000);
    await this.dataSource
      .transaction(async (manager) => {
        await this.imports.finish(
          jobId,
          counters,
          { status: 'failed', created: 0, existing: 0, error: message },
          manager,
        );
        await this.audit.record(manager, {
          actor: caller,
          action: 'import.fail',
          objectType: 'import',
          objectId: jobId,
          summary: {
            to: 'failed',
            error: message.slice(0, 200),
            rows: counters.rowsRead,
            rejected: counters.rejected,
          },
        });
      })
      .catch((e: unknown) =>
        this.log.warn(`Could not record the failure of import ${jobId}: ${String(e)}`),
      );
    this.running.delete(jobId);
  }

  /** A job whose process died, failed by the service (at start, or when it is read). */
  private async recordInterrupted(
    manager: EntityManager,
    jobId: string,
    from: ImportStatus,
  ): Promise<void> {
    await this.audit.record(manager, {
      actor: 'system',
      action: 'import.fail',
      objectType: 'import',
      objectId: jobId,
      summary: { from, to: 'failed', error: INTERRUPTED },
    });
  }
}

/** The client sent nothing for IMPORT_IDLE_TIMEOUT_S seconds. */
class ImportIdleError extends Error {
  constructor(readonly seconds: number) {
    super(`the client sent nothing for ${seconds} s; nothing was imported`);
  }
}

function tooLarge(max: number): ProblemException {
  return payloadTooLarge(
    `An import body is at most ${max} bytes (IMPORT_MAX_BYTES); split the file`,
    { name: 'import-size', value: max },
    { headers: { connection: 'close' } },
  );
}
