import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { HttpStatus, Injectable } from '@nestjs/common';
import { to as copyTo } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { dedicatedClient } from '#src/platform/database/data-source.js';
import type { Principal } from '#src/identity/auth/principal.js';
import { ProblemException, ProblemType } from '#src/platform/problem/problem.js';
import { validationProblem } from '#src/platform/problem/validation.js';
import { FeedsConfig } from '#src/feeds/feeds.config.js';
import { readFeedVersionOn } from '#src/feeds/change-log/feed-version.js';
import { FeedPullRecorder } from '#src/feeds/pulls/feed-pull.recorder.js';
import {
  rpzHeader,
  rpzRecords,
  type RpzAction,
  type RpzSettings,
} from '#src/feeds/snapshots/rpz.js';
import {
  FEED_TYPES,
  snapshotCopySql,
  type SnapshotFormat,
} from '#src/feeds/snapshots/snapshot-sql.js';
import { bundleHead, type DepartmentIdentity } from '#src/feeds/snapshots/stix.js';
import { DepartmentIdentityService } from '#src/feeds/snapshots/department-identity.service.js';

/** Snapshots streaming at once from one instance (each holds a database connection). */
const MAX_CONCURRENT = 8;

const CONTENT_TYPES: Record<SnapshotFormat, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  txt: 'text/plain; charset=utf-8',
  rpz: 'text/dns; charset=utf-8',
  stix: 'application/stix+json;version=2.1',
};

const ACTIONS: RpzAction[] = ['nxdomain', 'nodata', 'redirect'];

export interface Snapshot {
  version: number;
  contentType: string;
  gzip: boolean;
  body: Readable;
}

/** Parses `types=domain,ipv4`; all feed types when absent. */
export function parseTypes(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [...FEED_TYPES];
  const types = [...new Set(raw.split(',').map((t) => t.trim().toLowerCase()))];
  const bad = types.filter((t) => !(FEED_TYPES as readonly string[]).includes(t));
  if (bad.length > 0) {
    throw validationProblem([
      { name: 'types', reason: `unknown type(s) ${bad.join(', ')}; use ${FEED_TYPES.join(', ')}` },
    ]);
  }
  return types;
}

/**
 * Snapshots of an ISP's active set, streamed from PostgreSQL with COPY (constant memory): one
 * REPEATABLE READ transaction reads the version and the rows, so X-Feed-Version is exactly the
 * version the rows are at.
 */
@Injectable()
export class SnapshotService {
  private open_ = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly pulls: FeedPullRecorder,
    private readonly config: FeedsConfig,
    private readonly identity: DepartmentIdentityService,
  ) {}

  async open(
    caller: Principal,
    format: SnapshotFormat,
    types: string[],
    acceptEncoding: string | undefined,
  ): Promise<Snapshot> {
    if (this.open_ >= MAX_CONCURRENT) {
      throw new ProblemException(HttpStatus.TOO_MANY_REQUESTS, {
        type: ProblemType.rateLimited,
        detail: `${this.open_} snapshots are streaming from this instance; retry in a moment`,
        headers: { 'retry-after': '5' },
      });
    }
    // A connection of its own: a long stream neither holds a pool slot nor meets the pool's
    // query timeout.
    const client = dedicatedClient(this.dataSource, 'snapshot');
    client.on('error', () => undefined); // surfaces through the stream
    this.open_++;
    let released = false;
    const release = async (commit: boolean): Promise<void> => {
      if (released) return;
      released = true;
      this.open_--;
      await client.query(commit ? 'COMMIT' : 'ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    };
    try {
      await client.connect();
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // A snapshot of millions of rows may take longer than an API statement.
      await client.query(`SET LOCAL statement_timeout = 0`);
      const version = await readFeedVersionOn(client);
      const department = format === 'stix' ? await this.identity.load(client) : undefined;
      const sql = snapshotCopySql(format, caller.organizationId, types, department?.id);
      const copy = client.query(copyTo(sql));
      const out = new PassThrough();
      let bytes = 0;
      // What the ISP deploys is the uncompressed body: its SHA-256 is what a receipt names.
      const digest = createHash('sha256');
      const count = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          digest.update(chunk);
          callback(null, chunk);
        },
      });
      const gzip = /\bgzip\b/i.test(acceptEncoding ?? '');
      const stages: NodeJS.ReadWriteStream[] = [
        ...this.framing(format, version, caller, department),
        count,
        ...(gzip ? [createGzip()] : []),
      ];
      pipeline([copy as Readable, ...stages, out])
        .then(async () => {
          // Recorded first: a receipt sent as soon as the body arrived finds it (after a flush).
          this.pulls.record({
            principal: caller,
            format,
            fromVersion: null,
            toVersion: version,
            status: 200,
            bytes,
            sha256: digest.digest('hex'),
          });
          await release(true);
        })
        .catch(async (error: unknown) => {
          out.destroy(error as Error);
          await release(false);
        });
      out.on('close', () => {
        // The client went away: stop reading from PostgreSQL.
        if (!out.readableEnded) copy.destroy();
      });
      return { version, contentType: CONTENT_TYPES[format], gzip, body: out };
    } catch (error) {
      await release(false);
      throw error;
    }
  }

  /** What goes around and between the rows of each format. */
  private framing(
    format: SnapshotFormat,
    version: number,
    caller: Principal,
    department?: DepartmentIdentity,
  ): NodeJS.ReadWriteStream[] {
    const generatedAt = new Date().toISOString();
    switch (format) {
      case 'txt':
        return [
          prefix(
            `# threat-exchange feed snapshot for organization ${caller.organizationId}\n` +
              `# version ${version}, generated ${generatedAt}, one value per line, sorted\n`,
          ),
        ];
      case 'csv':
        return [crlf()];
      case 'rpz': {
        const settings: RpzSettings = {
          ttl: this.config.RPZ_TTL,
          nameServer: this.config.RPZ_NAME_SERVER,
          contact: this.config.RPZ_CONTACT,
          noticeHost: this.config.RPZ_NOTICE_HOST,
        };
        return [
          lines((line) => {
            const [type = '', value = '', rank = '0'] = line.split('\t');
            return rpzRecords(type, value, ACTIONS[Number(rank)] ?? 'nxdomain', settings);
          }),
          prefix(
            rpzHeader(
              version,
              settings,
              `threat-exchange feed for organization ${caller.organizationId}, version ${version}, generated ${generatedAt}`,
            ),
          ),
        ];
      }
      case 'ndjson':
        return [];
      case 'stix':
        if (!department) throw new Error('a STIX snapshot needs the Department identity');
        // The identity and the markings come first, then one indicator per active entry.
        return [jsonArray(bundleHead(department), ']}\n', true)];
      case 'json':
        return [
          jsonArray(`{"version":${version},"generatedAt":"${generatedAt}","indicators":[`, ']}\n'),
        ];
    }
  }
}

function prefix(text: string): Transform {
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (first) {
        first = false;
        this.push(text);
      }
      callback(null, chunk);
    },
    flush(callback) {
      if (first) this.push(text);
      callback();
    },
  });
}

/** RFC 4180 line ends: COPY writes LF; no field here can contain a newline. */
function crlf(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, Buffer.from(chunk.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'));
    },
  });
}

/**
 * JSON lines → `head` + lines joined by commas + `tail`; `afterItems` when `head` already ends
 * with array items (the first line then needs a comma too).
 */
function jsonArray(head: string, tail: string, afterItems = false): Transform {
  let started = false;
  let pending = afterItems; // a line ended and the next one (if any) needs a comma first
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let text = chunk.toString('latin1');
      if (!started) {
        started = true;
        this.push(head);
      }
      if (pending && text.length > 0) {
        text = `,${text}`;
        pending = false;
      }
      if (text.endsWith('\n')) {
        text = text.slice(0, -1);
        pending = true;
      }
      callback(null, Buffer.from(text.replace(/\n/g, ','), 'latin1'));
    },
    flush(callback) {
      if (!started) this.push(head);
      this.push(tail);
      callback();
    },
  });
}

/** COPY text lines (values here hold no tab, newline or backslash) → `map(line)` each. */
function lines(map: (line: string) => string): Transform {
  let rest = '';
  const decoder = new StringDecoder('utf8');
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const text = rest + decoder.write(chunk);
      const end = text.lastIndexOf('\n');
      if (end < 0) {
        rest = text;
        callback();
        return;
      }
      rest = text.slice(end + 1);
      let out = '';
      for (const line of text.slice(0, end).split('\n')) out += map(line);
      callback(null, out);
    },
    flush(callback) {
      callback(null, rest === '' ? '' : map(rest));
    },
  });
}
