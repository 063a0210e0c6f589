import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { Keyset } from '#src/platform/pagination/cursor.js';

/**
 * Newest first, by (created_at, id), from after `after`, limit + 1 rows (see toPage). The
 * timestamp is compared at millisecond precision, the precision of the cursor.
 */
export function keysetPage<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  after: Keyset | undefined,
  limit: number,
): SelectQueryBuilder<T> {
  const created = `date_trunc('milliseconds', ${alias}.created_at)`;
  if (after) {
    qb.andWhere(`(${created}, ${alias}.id) < (:afterCreated, :afterId)`, {
      afterCreated: after.createdAt,
      afterId: after.id,
    });
  }
  return qb
    .orderBy(created, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .limit(limit + 1);
}

/**
 * The same keyset in raw SQL: the condition on `alias` (`true` without a cursor), its two
 * values pushed onto `params`.
 */
export function keysetSql(alias: string, after: Keyset | undefined, params: unknown[]): string {
  if (!after) return 'true';
  params.push(after.createdAt, after.id);
  return `(date_trunc('milliseconds', ${alias}.created_at), ${alias}.id) < ($${params.length - 1}, $${params.length})`;
}

/** The order that goes with {@link keysetSql}: newest first. */
export function keysetOrderSql(alias: string): string {
  return `date_trunc('milliseconds', ${alias}.created_at) DESC, ${alias}.id DESC`;
}
