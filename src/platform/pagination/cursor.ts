import { ApiPropertyOptional } from '@nestjs/swagger';
import { IntegerParam } from '#src/platform/problem/index.js';
import { Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, Matches } from 'class-validator';
import { CursorCodec, cursorPart } from '#src/platform/pagination/cursor-codec.js';

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** `?limit=&cursor=` of every list operation (keyset pagination, newest first). */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @IntegerParam(1, MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be a value returned as nextCursor' })
  cursor?: string;
}

/** A page of records created in [createdFrom, createdTo). */
export class CreatedRangeQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'createdFrom must be an ISO 8601 date-time' })
  createdFrom?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created before' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'createdTo must be an ISO 8601 date-time' })
  createdTo?: Date;
}

/** Position after the last row of a page: rows are ordered by (created_at DESC, id DESC). */
export interface Keyset {
  createdAt: Date;
  id: string;
}

/** The cursor of the lists keyed on (created_at, id): `["<ISO time, ms>","<uuid>"]`. */
export const KEYSET_CURSOR = new CursorCodec<Keyset>({
  createdAt: cursorPart.time,
  id: cursorPart.uuid,
});

export function encodeCursor(k: Keyset): string {
  return KEYSET_CURSOR.encode(k);
}

export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  return KEYSET_CURSOR.decode(cursor);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Rows fetched with limit + 1 → the page, and the cursor of the next one if there is more. */
export function toPage<E extends Keyset, T>(rows: E[], limit: number, map: (row: E) => T): Page<T> {
  return pageOf(rows, limit, map, encodeCursor);
}

/**
 * The same for a list keyed otherwise: the next page's cursor is `cursorOf` the page's last row
 * (for instance the id of a list ordered by id).
 */
export function pageOf<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  cursorOf: (row: R) => string,
): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items: items.map(map), nextCursor: more && last ? cursorOf(last) : null };
}

/** A list operation: decode the cursor, fetch limit + 1 rows after it, map the page. */
export async function paginate<E extends Keyset, T>(
  query: PageQuery,
  fetch: (after: Keyset | undefined, limit: number) => Promise<E[]>,
  map: (row: E) => T,
): Promise<Page<T>> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  return toPage(await fetch(decodeCursor(query.cursor), limit), limit, map);
}
