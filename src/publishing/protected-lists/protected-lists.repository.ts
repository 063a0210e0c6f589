import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type Keyset, keysetPage } from '#src/platform/pagination/index.js';
import type {
  ProtectedEntryInput,
  ProtectedEntryKind,
} from '#src/publishing/protected-lists/matcher.js';
import {
  ProtectedEntryEntity,
  ProtectedListEntity,
  type ProtectedListOrigin,
} from '#src/publishing/protected-lists/protected-list.entity.js';

/** An entry as the list knows it: its kind and canonical value. */
export interface EntryKey {
  kind: string;
  value: string;
}

export interface NewEntry {
  kind: ProtectedEntryKind;
  value: string;
  comment?: string | null;
}

@Injectable()
export class ProtectedListsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private lists(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(ProtectedListEntity);
  }

  private entries(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(ProtectedEntryEntity);
  }

  findById(id: string, manager?: EntityManager): Promise<ProtectedListEntity | null> {
    return this.lists(manager).findOneBy({ id });
  }

  findByName(name: string, manager?: EntityManager): Promise<ProtectedListEntity | null> {
    return this.lists(manager).findOneBy({ name });
  }

  listPage(after: Keyset | undefined, limit: number): Promise<ProtectedListEntity[]> {
    return keysetPage(this.lists().createQueryBuilder('l'), 'l', after, limit).getMany();
  }

  async entryCounts(listIds: string[]): Promise<Map<string, number>> {
    const rows = await this.dataSource.query<{ list_id: string; n: number }[]>(
      `SELECT list_id, count(*)::int AS n FROM protected_entries
        WHERE list_id = ANY($1::uuid[]) GROUP BY list_id`,
      [listIds],
    );
    return new Map(rows.map((r) => [r.list_id, r.n]));
  }

  entriesPage(listId: string, after: Keyset | undefined, limit: number) {
    const qb = this.entries().createQueryBuilder('e').where('e.list_id = :listId', { listId });
    return keysetPage(qb, 'e', after, limit).getMany();
  }

  findEntry(listId: string, entryId: string): Promise<ProtectedEntryEntity | null> {
    return this.entries().findOneBy({ id: entryId, listId });
  }

  async insertList(
    manager: EntityManager,
    list: {
      name: string;
      description: string | null;
      origin: ProtectedListOrigin;
      sourceVersion?: number | null;
    },
  ): Promise<ProtectedListEntity> {
    const repo = this.lists(manager);
    return repo.save(
      repo.create({
        ...list,
        sourceVersion: list.sourceVersion ?? null,
        revision: () => `nextval('protected_lists_revision_seq')`,
      } as unknown as ProtectedListEntity),
    );
  }

  /** Marks a change to the list (its entries or settings); false if `version` is stale. */
  async touch(
    manager: EntityManager,
    id: string,
    changes: Partial<
      Pick<ProtectedListEntity, 'name' | 'description' | 'enabled' | 'sourceVersion'>
    >,
    version?: number,
  ): Promise<boolean> {
    const qb = this.lists(manager)
      .createQueryBuilder()
      .update()
      .set({
        ...changes,
        revision: () => `nextval('protected_lists_revision_seq')`,
        version: () => 'version + 1',
        updatedAt: () => 'now()',
      })
      .where('id = :id', { id });
    if (version !== undefined) qb.andWhere('version = :version', { version });
    return ((await qb.execute()).affected ?? 0) > 0;
  }

  /** Adds entries (set-based); those present already are left as they are. Returns the count added. */
  async addEntries(manager: EntityManager, listId: string, entries: NewEntry[]): Promise<number> {
    let added = 0;
    for (let i = 0; i < entries.length; i += 20000) {
      const chunk = entries.slice(i, i + 20000);
      const rows = await manager.query<unknown[]>(
        `INSERT INTO protected_entries (list_id, kind, value, comment)
         SELECT $1, k, v, c FROM unnest($2::text[], $3::text[], $4::text[]) AS u(k, v, c)
         ON CONFLICT (list_id, kind, value) DO NOTHING RETURNING 1`,
        [
          listId,
          chunk.map((e) => e.kind),
          chunk.map((e) => e.value),
          chunk.map((e) => e.comment ?? null),
        ],
      );
      added += rows.length;
    }
    return added;
  }

  async deleteEntries(manager: EntityManager, listId: string, keep?: NewEntry[]): Promise<number> {
    if (keep === undefined) {
      const [, affected] = await manager.query<[unknown, number]>(
        `DELETE FROM protected_entries WHERE list_id = $1`,
        [listId],
      );
      return affected;
    }
    const [, affected] = await manager.query<[unknown, number]>(
      `DELETE FROM protected_entries e WHERE e.list_id = $1 AND NOT EXISTS (
         SELECT 1 FROM unnest($2::text[], $3::text[]) AS k(kind, value)
          WHERE k.kind = e.kind AND k.value = e.value)`,
      [listId, keep.map((e) => e.kind), keep.map((e) => e.value)],
    );
    return affected;
  }

  /**
   * Makes the list hold exactly `wanted` (kind and value; comments as given for new entries):
   * answers what was added and what was removed.
   */
  async syncEntries(
    manager: EntityManager,
    listId: string,
    wanted: NewEntry[],
  ): Promise<{ added: EntryKey[]; removed: EntryKey[] }> {
    const [removed] = await manager.query<[EntryKey[], number]>(
      `DELETE FROM protected_entries e WHERE e.list_id = $1 AND NOT EXISTS (
         SELECT 1 FROM unnest($2::text[], $3::text[]) AS k(kind, value)
          WHERE k.kind = e.kind AND k.value = e.value)
       RETURNING e.kind, e.value`,
      [listId, wanted.map((e) => e.kind), wanted.map((e) => e.value)],
    );
    const added = await manager.query<EntryKey[]>(
      `INSERT INTO protected_entries (list_id, kind, value, comment)
       SELECT $1, k, v, c FROM unnest($2::text[], $3::text[], $4::text[]) AS u(k, v, c)
       ON CONFLICT (list_id, kind, value) DO NOTHING RETURNING kind, value`,
      [
        listId,
        wanted.map((e) => e.kind),
        wanted.map((e) => e.value),
        wanted.map((e) => e.comment ?? null),
      ],
    );
    return { added, removed };
  }

  async deleteEntry(manager: EntityManager, listId: string, entryId: string): Promise<boolean> {
    const result = await this.entries(manager).delete({ id: entryId, listId });
    return (result.affected ?? 0) > 0;
  }

  async deleteList(manager: EntityManager, id: string): Promise<void> {
    await this.lists(manager).delete({ id });
  }

  /**
   * A cheap fingerprint of every list: changes whenever an entry or list changes. Each change
   * gives its list a new revision, so the set of revisions identifies the state; the highest
   * alone would not, as transactions commit out of sequence order (a change whose revision is
   * lower than one already seen would go unnoticed).
   */
  async fingerprint(): Promise<string> {
    const [row] = await this.dataSource.query<{ n: string; r: string | null }[]>(
      `SELECT count(*) AS n, md5(string_agg(revision::text, ',' ORDER BY revision)) AS r
         FROM protected_lists`,
    );
    return `${row.n}:${row.r ?? ''}`;
  }

  /** Every entry of every enabled list, for the matcher. */
  async allEnabledEntries(): Promise<ProtectedEntryInput[]> {
    const rows = await this.dataSource.query<
      { id: string; list_id: string; name: string; kind: ProtectedEntryKind; value: string }[]
    >(
      `SELECT e.id, e.list_id, l.name, e.kind, e.value
         FROM protected_entries e JOIN protected_lists l ON l.id = e.list_id
        WHERE l.enabled`,
    );
    return rows.map((r) => ({
      id: r.id,
      listId: r.list_id,
      listName: r.name,
      kind: r.kind,
      value: r.value,
    }));
  }
}
