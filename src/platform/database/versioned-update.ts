import type { ObjectLiteral, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';

/**
 * Optimistic concurrency: applies `changes` to the row `id` only if it still has `version`,
 * bumping `version` and `updated_at`. False when the row changed since (or is gone): a 409.
 */
export async function updateIfVersion<T extends ObjectLiteral>(
  repo: Repository<T>,
  id: string,
  version: number,
  changes: QueryDeepPartialEntity<T>,
): Promise<boolean> {
  const result = await repo
    .createQueryBuilder()
    .update()
    .set({ ...changes, version: () => 'version + 1', updatedAt: () => 'now()' })
    .where('id = :id AND version = :version', { id, version })
    .execute();
  return (result.affected ?? 0) > 0;
}
