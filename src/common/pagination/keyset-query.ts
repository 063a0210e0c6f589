import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { Keyset } from '#src/common/pagination/cursor.js';

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
