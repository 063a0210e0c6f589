import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog, fieldChanges } from '#src/platform/audit-log/index.js';
import type { Principal } from '#src/identity/index.js';
import { paginate, type Page, type PageQuery } from '#src/platform/pagination/index.js';
import {
  ProblemException,
  notFound,
  conflict,
  invalidState,
  unprocessable,
  validationProblem,
} from '#src/platform/problem/index.js';
import { sqlState } from '#src/platform/database/index.js';
import {
  canonicalize,
  canonicalizeUntyped,
  refusalReason,
} from '#src/publishing/indicators/canonical.js';
import { BUILTIN_ENTRIES, BUILTIN_LIST_NAME } from '#src/publishing/protected-lists/builtin.js';
import {
  toEntryResponse,
  toListResponse,
  type AddEntriesResponse,
  type AddProtectedEntriesRequest,
  type CreateProtectedListRequest,
  type MispImportResponse,
  type ProtectedCheckRequest,
  type ProtectedCheckResponse,
  type ProtectedEntryResponse,
  type ProtectedListResponse,
  type UpdateProtectedListRequest,
} from '#src/publishing/protected-lists/dto/protected-list.dto.js';
import {
  normalizeProtectedEntry,
  ProtectedMatcher,
} from '#src/publishing/protected-lists/matcher.js';
import { parseMispWarninglist } from '#src/publishing/protected-lists/misp-warninglist.js';
import type { ProtectedListEntity } from '#src/publishing/protected-lists/protected-list.entity.js';
import {
  ProtectedListsRepository,
  type NewEntry,
} from '#src/publishing/protected-lists/protected-lists.repository.js';

/** Serializes the start-up synchronization of the built-in list between instances. */
const BUILTIN_LOCK = 0x70_72_6f_74; // 'prot'

@Injectable()
export class ProtectedListsService implements OnApplicationBootstrap {
  private readonly log = new Logger(ProtectedListsService.name);
  private cached: { key: string; matcher: Promise<ProtectedMatcher> } | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly lists: ProtectedListsRepository,
    private readonly audit: AuditLog,
  ) {}

  /**
   * The built-in list exists with exactly the entries of builtin.ts; any change a new version
   * of the application makes to it is an audit event (actor `system`) naming what changed.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [BUILTIN_LOCK]);
      const existing = await this.lists.findByName(BUILTIN_LIST_NAME, manager);
      const list =
        existing ??
        (await this.lists.insertList(manager, {
          name: BUILTIN_LIST_NAME,
          description: 'Special-purpose address ranges (RFC 6890 and others) and gov.vn; read-only',
          origin: 'builtin',
        }));
      const wanted = BUILTIN_ENTRIES.map((e) => ({ ...e }));
      const { added, removed } = await this.lists.syncEntries(manager, list.id, wanted);
      if (existing && added.length + removed.length === 0) return;
      await this.lists.touch(manager, list.id, {});
      const values = (entries: { kind: string; value: string }[]) =>
        entries.map((e) => `${e.kind}:${e.value}`);
      await this.audit.record(manager, {
        actor: 'system',
        action: 'protected_list.builtin_sync',
        objectType: 'protected_list',
        objectId: list.id,
        summary: {
          name: list.name,
          created: !existing,
          added: values(added),
          removed: values(removed),
        },
      });
      this.log.log(
        `Built-in protected list updated: ${added.length} added, ${removed.length} removed`,
      );
    });
    // Build the matcher now rather than on the first publication or check.
    await this.matcher();
  }

  /**
   * The matcher over every enabled list, rebuilt only when a list changed (checked with one
   * cheap query, so several instances agree without messages).
   */
  async matcher(): Promise<ProtectedMatcher> {
    const key = await this.lists.fingerprint();
    if (this.cached?.key !== key) {
      const matcher = this.lists.allEnabledEntries().then((e) => ProtectedMatcher.build(e));
      this.cached = { key, matcher };
      matcher.catch(() => {
        if (this.cached?.matcher === matcher) this.cached = undefined;
      });
    }
    return this.cached.matcher;
  }

  async list(query: PageQuery): Promise<Page<ProtectedListResponse>> {
    const page = await paginate(
      query,
      (after, limit) => this.lists.listPage(after, limit),
      (l) => l,
    );
    const counts = await this.lists.entryCounts(page.items.map((l) => l.id));
    return {
      items: page.items.map((l) => toListResponse(l, counts.get(l.id) ?? 0)),
      nextCursor: page.nextCursor,
    };
  }

  async get(id: string): Promise<ProtectedListResponse> {
    const list = await this.lists.findById(id);
    if (!list) throw notFound('protected list');
    const counts = await this.lists.entryCounts([id]);
    return toListResponse(list, counts.get(id) ?? 0);
  }

  async create(
    caller: Principal,
    request: CreateProtectedListRequest,
  ): Promise<ProtectedListResponse> {
    const list = await this.dataSource.transaction(async (manager) => {
      const created = await this.insertNamed(manager, request.name, request.description ?? null);
      await this.audit.record(manager, {
        actor: caller,
        action: 'protected_list.create',
        objectType: 'protected_list',
        objectId: created.id,
        summary: { name: created.name },
      });
      return created;
    });
    return toListResponse(list, 0);
  }

  async update(
    caller: Principal,
    id: string,
    request: UpdateProtectedListRequest,
  ): Promise<ProtectedListResponse> {
    const list = await this.editable(id);
    const { version, ...changes } = request;
    // Read at the caller's version: the update below then changes exactly this state.
    if (list.version !== version) throw listChanged();
    await this.dataSource.transaction(async (manager) => {
      if (!(await this.lists.touch(manager, id, changes, version))) throw listChanged();
      await this.audit.record(manager, {
        actor: caller,
        action: 'protected_list.update',
        objectType: 'protected_list',
        objectId: id,
        summary: { name: list.name, changes: fieldChanges(list, changes) },
      });
    });
    return this.get(id);
  }

  async remove(caller: Principal, id: string): Promise<void> {
    const list = await this.editable(id);
    await this.dataSource.transaction(async (manager) => {
      await this.lists.deleteList(manager, id);
      await this.audit.record(manager, {
        actor: caller,
        action: 'protected_list.delete',
        objectType: 'protected_list',
        objectId: id,
        summary: { name: list.name },
      });
    });
  }

  entries(id: string, query: PageQuery): Promise<Page<ProtectedEntryResponse>> {
    return this.get(id).then(() =>
      paginate(query, (after, limit) => this.lists.entriesPage(id, after, limit), toEntryResponse),
    );
  }

  /** All or nothing: every entry must be valid, or none is added. */
  async addEntries(
    caller: Principal,
    id: string,
    request: AddProtectedEntriesRequest,
  ): Promise<AddEntriesResponse> {
    const list = await this.editable(id);
    const entries: NewEntry[] = [];
    const notes: { value: string; note: string }[] = [];
    const problems: { name: string; reason: string }[] = [];
    request.entries.forEach((e, i) => {
      const normalized = normalizeProtectedEntry(e.kind, e.value);
      if (!normalized.ok) {
        problems.push({ name: `entries[${i}].value`, reason: refusalReason(normalized) });
        return;
      }
      if (normalized.value !== e.value)
        notes.push({ value: e.value, note: `stored as ${normalized.value}` });
      entries.push({ kind: e.kind, value: normalized.value, comment: e.comment ?? null });
    });
    if (problems.length > 0) throw validationProblem(problems);
    const added = await this.dataSource.transaction(async (manager) => {
      const n = await this.lists.addEntries(manager, id, entries);
      await this.lists.touch(manager, id, {});
      await this.audit.record(manager, {
        actor: caller,
        action: 'protected_list.add_entries',
        objectType: 'protected_list',
        objectId: id,
        summary: { name: list.name, added: n, values: entries.slice(0, 20).map((e) => e.value) },
      });
      return n;
    });
    return { added, unchanged: entries.length - added, notes };
  }

  async removeEntry(caller: Principal, id: string, entryId: string): Promise<void> {
    const list = await this.editable(id);
    const entry = await this.lists.findEntry(id, entryId);
    if (!entry) throw notFound('protected list entry');
    await this.dataSource.transaction(async (manager) => {
      await this.lists.deleteEntry(manager, id, entryId);
      await this.lists.touch(manager, id, {});
      await this.audit.record(manager, {
        actor: caller,
        action: 'protected_list.remove_entry',
        objectType: 'protected_list',
        objectId: id,
        summary: { name: list.name, kind: entry.kind, value: entry.value },
      });
    });
  }

  /**
   * A MISP warninglist document becomes a list of the same name (origin `misp`); importing a
   * newer version of it replaces its entries in one transaction.
   */
  async importMisp(caller: Principal, document: unknown): Promise<MispImportResponse> {
    const parsed = parseMispWarninglist(document);
    if (!parsed.ok) {
      throw unprocessable(parsed.reason, { title: 'Not an importable MISP warninglist' });
    }
    const result = await this.dataSource.transaction(async (manager) => {
      let list = await this.lists.findByName(parsed.name, manager);
      if (list && list.origin !== 'misp') {
        throw conflict(`A ${list.origin} list named "${parsed.name}" exists: rename it first`);
      }
      list ??= await this.insertNamed(
        manager,
        parsed.name,
        parsed.description,
        'misp',
        parsed.version,
      );
      const removed = await this.lists.deleteEntries(manager, list.id, parsed.entries);
      const added = await this.lists.addEntries(manager, list.id, parsed.entries);
      await this.lists.touch(manager, list.id, {
        description: parsed.description,
        sourceVersion: parsed.version,
      });
      await this.audit.record(manager, {
        actor: caller,
        action: 'protected_list.misp_import',
        objectType: 'protected_list',
        objectId: list.id,
        summary: { name: parsed.name, version: parsed.version, added, removed },
      });
      return { id: list.id, added, removed };
    });
    return {
      list: await this.get(result.id),
      added: result.added,
      removed: result.removed,
      skipped: parsed.skipped.slice(0, 1000),
      notes: parsed.notes.slice(0, 1000),
    };
  }

  /** Which of the values are protected, by which entries and why. */
  /** `everyValue`: a result for every valid value, not only the protected ones. */
  async check(
    request: ProtectedCheckRequest,
    options: { everyValue?: boolean } = {},
  ): Promise<ProtectedCheckResponse> {
    const inputs = [
      ...(request.values ?? []).map((value) => ({ value, type: undefined })),
      ...(request.items ?? []),
    ];
    if (inputs.length === 0) {
      throw validationProblem([{ name: 'values', reason: 'give values or items to check' }]);
    }
    if (inputs.length > 100000) {
      throw validationProblem([{ name: 'values', reason: 'at most 100000 values per check' }]);
    }
    const matcher = await this.matcher();
    const response: ProtectedCheckResponse = {
      checked: inputs.length,
      matched: 0,
      results: [],
      invalid: [],
    };
    inputs.forEach((input, index) => {
      const canonical =
        input.type === undefined
          ? canonicalizeUntyped(input.value)
          : canonicalize(input.type, input.value);
      if (!canonical.ok) {
        response.invalid.push({ index, input: input.value, reason: canonical.reason });
        return;
      }
      const matches = matcher.match(canonical.type, canonical.value);
      if (matches.length === 0 && !options.everyValue) return;
      if (matches.length > 0) response.matched++;
      response.results.push({
        index,
        input: input.value,
        type: canonical.type,
        value: canonical.value,
        matches: matches.map((m) => ({
          listId: m.listId,
          listName: m.listName,
          entryId: m.entryId,
          kind: m.kind,
          entry: m.entry,
          reason: m.reason,
        })),
      });
    });
    return response;
  }

  private async editable(id: string): Promise<ProtectedListEntity> {
    const list = await this.lists.findById(id);
    if (!list) throw notFound('protected list');
    if (list.origin === 'builtin') {
      throw invalidState(
        'The built-in list is maintained by the application and cannot be changed',
      );
    }
    return list;
  }

  private async insertNamed(
    manager: Parameters<ProtectedListsRepository['insertList']>[0],
    name: string,
    description: string | null,
    origin: 'manual' | 'misp' = 'manual',
    sourceVersion: number | null = null,
  ): Promise<ProtectedListEntity> {
    try {
      return await this.lists.insertList(manager, { name, description, origin, sourceVersion });
    } catch (error) {
      if (sqlState(error) === '23505') {
        throw conflict(`A protected list named "${name}" exists already`);
      }
      throw error;
    }
  }
}

function listChanged(): ProblemException {
  return conflict('The protected list was changed since you read it: read it again');
}
