import { ProblemException, badRequest } from '#src/platform/problem/index.js';

/** Page sizes (TAXII 2.1 §3 pagination: `limit`, then `next` while `more`). */
export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 5000;

/** RFC 3339 UTC, as TAXII and STIX timestamps are; normalized to microseconds. */
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The filtering parameters of TAXII 2.1 §3 (added_after, limit, next, match[…]). */
export interface TaxiiFilter {
  addedAfter?: string;
  limit: number;
  /** The position after which the page starts (opaque `next` of the previous page). */
  cursor?: number;
  ids?: string[];
  types?: string[];
  versions: { all: boolean; first: boolean; last: boolean; at: string[] };
  /** False when match[spec_version] excludes 2.1, the only version served. */
  specVersionMatches: boolean;
}

export type RawQuery = Record<string, string | string[] | undefined>;

function bad(parameter: string, reason: string): ProblemException {
  return badRequest(`${parameter}: ${reason}`, { title: 'Invalid filter parameter' });
}

/** Comma-separated values; a repeated parameter counts as one more list. */
function list(query: RawQuery, name: string): string[] | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  return [raw]
    .flat()
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function single(query: RawQuery, name: string): string | undefined {
  const raw = query[name];
  if (Array.isArray(raw)) throw bad(name, 'give it once');
  return raw;
}

/** A TAXII timestamp as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, or undefined when malformed. */
export function normalizeTimestamp(value: string): string | undefined {
  const match = TIMESTAMP.exec(value);
  if (!match || Number.isNaN(Date.parse(`${match[1]}Z`))) return undefined;
  return `${match[1]}.${(match[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

/** Parses the query of an objects, manifest, object or versions request. */
export function parseFilter(
  query: RawQuery,
  allowed: { match: ('id' | 'type' | 'version' | 'spec_version')[] },
): TaxiiFilter {
  const known = new Set([
    'added_after',
    'limit',
    'next',
    ...allowed.match.map((m) => `match[${m}]`),
  ]);
  for (const name of Object.keys(query)) {
    if (!known.has(name)) {
      throw bad(name, `not a filter of this endpoint (use ${[...known].join(', ')})`);
    }
  }
  const filter: TaxiiFilter = {
    limit: DEFAULT_LIMIT,
    versions: { all: false, first: false, last: true, at: [] },
    specVersionMatches: true,
  };
  const addedAfter = single(query, 'added_after');
  if (addedAfter !== undefined) {
    filter.addedAfter = normalizeTimestamp(addedAfter);
    if (!filter.addedAfter) throw bad('added_after', 'expected an RFC 3339 UTC timestamp');
  }
  const limit = single(query, 'limit');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1)
      throw bad('limit', 'expected a positive integer');
    filter.limit = Math.min(Number(limit), MAX_LIMIT);
  }
  const next = single(query, 'next');
  if (next !== undefined) {
    // The positions this server gives out are safe integers (fixed objects: negative).
    if (!/^-?\d{1,16}$/.test(next) || !Number.isSafeInteger(Number(next))) {
      throw bad('next', 'not a value this server gave out');
    }
    filter.cursor = Number(next);
  }
  const ids = list(query, 'match[id]');
  if (ids) filter.ids = ids;
  const types = list(query, 'match[type]');
  if (types) filter.types = types;
  const versions = list(query, 'match[version]');
  if (versions) {
    filter.versions = { all: false, first: false, last: false, at: [] };
    for (const v of versions) {
      if (v === 'all' || v === 'first' || v === 'last') filter.versions[v] = true;
      else {
        const at = normalizeTimestamp(v);
        if (!at) throw bad('match[version]', `${v} is neither all, first, last nor a timestamp`);
        filter.versions.at.push(at);
      }
    }
  }
  const specVersions = list(query, 'match[spec_version]');
  if (specVersions) filter.specVersionMatches = specVersions.includes('2.1');
  return filter;
}

/** The uuids of `indicator--…` ids in match[id] (other ids match no indicator). */
export function indicatorUuids(ids: string[]): string[] {
  return ids
    .filter((id) => id.startsWith('indicator--'))
    .map((id) => id.slice('indicator--'.length).toLowerCase())
    .filter((uuid) => UUID.test(uuid));
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
