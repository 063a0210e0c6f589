import { createHash } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import type { Principal } from '#src/identity/index.js';
import { httpProblem } from '#src/platform/problem/index.js';
import { PlatformConfig } from '#src/platform/config/index.js';
import { DepartmentIdentityService } from '#src/feeds/snapshots/department-identity.service.js';
import { FeedPullRecorder } from '#src/feeds/pulls/feed-pull.recorder.js';
import { fixedObjects, type DepartmentIdentity } from '#src/feeds/snapshots/stix.js';
import {
  indicatorUuids,
  isUuid,
  normalizeTimestamp,
  parseFilter,
  type RawQuery,
  type TaxiiFilter,
} from '#src/feeds/taxii/taxii-filter.js';
import { API_ROOT, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE } from '#src/feeds/taxii/taxii-media.js';
import { TaxiiRepository } from '#src/feeds/taxii/taxii.repository.js';

/** One version of an object in a collection, in collection order. */
interface Entry {
  seq: number;
  id: string;
  type: string;
  dateAdded: string;
  version: string;
  object?: string;
}

interface Page {
  entries: Entry[];
  more: boolean;
}

/** A TAXII answer: the JSON text and the X-TAXII-Date-Added-First/-Last headers. */
export interface TaxiiAnswer {
  body: string;
  dateAddedFirst?: string;
  dateAddedLast?: string;
}

/** A resource without date headers (discovery, API root, collections). */
function resource(body: Record<string, unknown>): TaxiiAnswer {
  return { body: JSON.stringify(body) };
}

/** `2026-01-02T03:04:05.678Z` + k µs, as a microsecond TAXII timestamp. */
function micros(date: Date, k: number): string {
  return `${date.toISOString().slice(0, 23)}${String(k).padStart(3, '0')}Z`;
}

/**
 * The fixed objects every collection starts with (the Department identity, the TLP 2.0
 * markings), before the feed's changes: positions -6 … -1, added when the Department was.
 */
function fixedEntries(department: DepartmentIdentity): Entry[] {
  const objects = fixedObjects(department);
  return objects.map((object, k) => ({
    seq: k - objects.length,
    id: String(object.id),
    type: String(object.type),
    dateAdded: micros(department.createdAt, k),
    version: String(object.modified ?? object.created),
    object: JSON.stringify(object),
  }));
}

function keeps(filter: TaxiiFilter, entry: Entry): boolean {
  const { all, first, last, at } = filter.versions;
  return (
    entry.seq > (filter.cursor ?? -Infinity) &&
    (filter.addedAfter === undefined || entry.dateAdded > filter.addedAfter) &&
    (filter.ids === undefined || filter.ids.includes(entry.id)) &&
    (filter.types === undefined || filter.types.includes(entry.type)) &&
    // Fixed objects have one version: it is the first, the last and the one at its time.
    (all || first || last || at.includes(normalizeTimestamp(entry.version) ?? entry.version))
  );
}

/**
 * The read side of a TAXII 2.1 server over the ISP feeds: one collection per ISP, holding the
 * STIX versions of its feed's changes (decision 0007).
 */
@Injectable()
export class TaxiiService {
  constructor(
    private readonly taxii: TaxiiRepository,
    private readonly department: DepartmentIdentityService,
    private readonly pulls: FeedPullRecorder,
    private readonly config: PlatformConfig,
  ) {}

  /** §4.1 Server Discovery. */
  discovery(): TaxiiAnswer {
    return resource({
      title: 'threat-exchange TAXII 2.1 server',
      description:
        'Blocking feeds of the Department of Information and Communications for ISPs: one read-only collection per ISP.',
      default: API_ROOT,
      api_roots: [API_ROOT],
    });
  }

  /** §4.2 Get API Root Information. */
  apiRoot(): TaxiiAnswer {
    return resource({
      title: 'ISP blocking feeds',
      description: 'STIX 2.1 indicators to block, per ISP; removals are revoked versions.',
      versions: [TAXII_MEDIA_TYPE],
      max_content_length: this.config.BODY_LIMIT_BYTES,
    });
  }

  /** §5.1 Get Collections: the caller's ISP collection (none for other organizations). */
  async collections(caller: Principal): Promise<TaxiiAnswer> {
    const own = await this.taxii.collection(caller.organizationId);
    return resource(own ? { collections: [this.collectionResource(own)] } : {});
  }

  /** §5.2 Get a Collection. */
  async collection(caller: Principal, collectionId: string): Promise<TaxiiAnswer> {
    return resource(this.collectionResource(await this.readable(caller, collectionId)));
  }

  /** §5.4 Get Objects: an envelope of object versions (by default the last of each). */
  async objects(caller: Principal, collectionId: string, query: RawQuery): Promise<TaxiiAnswer> {
    const filter = parseFilter(query, { match: ['id', 'type', 'version', 'spec_version'] });
    const page = await this.page(caller, collectionId, filter, true);
    const answer = this.envelope(page);
    const last = page.entries.at(-1);
    this.pulls.record({
      principal: caller,
      format: 'taxii',
      fromVersion: Math.max(filter.cursor ?? 0, 0),
      toVersion: Math.max(last?.seq ?? 0, filter.cursor ?? 0, 0),
      status: 200,
      bytes: Buffer.byteLength(answer.body),
      sha256: createHash('sha256').update(answer.body).digest('hex'),
    });
    return answer;
  }

  /** §5.3 Get Object Manifests: id, date_added, version and media type of each version. */
  async manifest(caller: Principal, collectionId: string, query: RawQuery): Promise<TaxiiAnswer> {
    const filter = parseFilter(query, { match: ['id', 'type', 'version', 'spec_version'] });
    const page = await this.page(caller, collectionId, filter, false);
    const objects = page.entries.map((e) => ({
      id: e.id,
      date_added: e.dateAdded,
      version: e.version,
      media_type: STIX_MEDIA_TYPE,
    }));
    return this.answer(page, { ...this.paging(page), ...(objects.length ? { objects } : {}) });
  }

  /** §5.6 Get an Object: its versions (by default the last) in an envelope. */
  async object(
    caller: Principal,
    collectionId: string,
    objectId: string,
    query: RawQuery,
  ): Promise<TaxiiAnswer> {
    const filter = parseFilter(query, { match: ['version', 'spec_version'] });
    const page = await this.page(caller, collectionId, { ...filter, ids: [objectId] }, true);
    if (page.entries.length === 0) await this.mustExist(caller, objectId);
    return this.envelope(page);
  }

  /** §5.8 Get Object Versions: the `version` of each of the object's versions. */
  async versions(
    caller: Principal,
    collectionId: string,
    objectId: string,
    query: RawQuery,
  ): Promise<TaxiiAnswer> {
    const filter = parseFilter(query, { match: ['spec_version'] });
    const page = await this.page(
      caller,
      collectionId,
      { ...filter, ids: [objectId], versions: { all: true, first: false, last: false, at: [] } },
      false,
    );
    if (page.entries.length === 0) await this.mustExist(caller, objectId);
    const versions = page.entries.map((e) => e.version);
    return this.answer(page, { ...this.paging(page), ...(versions.length ? { versions } : {}) });
  }

  private collectionResource(row: { id: string; name: string }): Record<string, unknown> {
    return {
      id: row.id,
      title: `Blocking feed: ${row.name}`,
      description:
        'Indicators this ISP must block. A removal (withdrawal, unblock, expiry, revocation) is a revoked version of the object; blocking the value again is a new object.',
      can_read: true,
      can_write: false,
      media_types: [STIX_MEDIA_TYPE],
    };
  }

  /** The collection, if it is the caller's own (others are not found, not forbidden). */
  private async readable(caller: Principal, collectionId: string) {
    const own =
      collectionId === caller.organizationId && isUuid(collectionId)
        ? await this.taxii.collection(collectionId)
        : undefined;
    if (!own) {
      throw httpProblem(
        HttpStatus.NOT_FOUND,
        `No collection ${collectionId} is readable with these credentials`,
      );
    }
    return own;
  }

  private async mustExist(caller: Principal, objectId: string): Promise<void> {
    const department = await this.department.load();
    const fixed = fixedEntries(department).some((e) => e.id === objectId);
    const [uuid] = indicatorUuids([objectId]);
    if (fixed || (uuid && (await this.taxii.exists(caller.organizationId, uuid)))) return;
    throw httpProblem(HttpStatus.NOT_FOUND, `No object ${objectId} in this collection`);
  }

  /** The fixed objects the filter keeps, then feed changes, up to the limit. */
  private async page(
    caller: Principal,
    collectionId: string,
    filter: TaxiiFilter,
    withObjects: boolean,
  ): Promise<Page> {
    await this.readable(caller, collectionId);
    if (!filter.specVersionMatches) return { entries: [], more: false };
    const department = await this.department.load();
    const fixed = fixedEntries(department).filter((e) => keeps(filter, e));
    if (fixed.length > filter.limit) {
      return { entries: fixed.slice(0, filter.limit), more: true };
    }
    const wantsIndicators = filter.types === undefined || filter.types.includes('indicator');
    const uuids = filter.ids === undefined ? undefined : indicatorUuids(filter.ids);
    if (!wantsIndicators || (uuids !== undefined && uuids.length === 0)) {
      return { entries: fixed, more: false };
    }
    const room = filter.limit - fixed.length;
    const rows = await this.taxii.entries(
      caller.organizationId,
      { ...filter, ids: uuids },
      room + 1,
      {
        identityId: department.id,
        withObjects,
      },
    );
    const changes: Entry[] = rows.slice(0, room).map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      type: 'indicator',
      dateAdded: r.date_added,
      version: r.date_added,
      object: r.object,
    }));
    return { entries: [...fixed, ...changes], more: rows.length > room };
  }

  /** `more` (never true on an empty page) and `next`: the position of the last entry. */
  private paging(page: Page): { more: boolean; next?: string } {
    const last = page.entries.at(-1);
    return page.more && last ? { more: true, next: String(last.seq) } : { more: false };
  }

  /** The envelope resource, written around the objects' JSON text as PostgreSQL made it. */
  private envelope(page: Page): TaxiiAnswer {
    const head = JSON.stringify(this.paging(page)).slice(0, -1);
    const objects = page.entries.map((e) => e.object ?? '');
    const body = objects.length > 0 ? `${head},"objects":[${objects.join(',')}]}` : `${head}}`;
    return { ...this.answer(page, {}), body };
  }

  private answer(page: Page, resource: Record<string, unknown>): TaxiiAnswer {
    return {
      body: JSON.stringify(resource),
      dateAddedFirst: page.entries.at(0)?.dateAdded,
      dateAddedLast: page.entries.at(-1)?.dateAdded,
    };
  }
}
