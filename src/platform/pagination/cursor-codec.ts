import { validationProblem } from '#src/platform/problem/index.js';

/**
 * One part of a keyset as a cursor holds it: written as a string, read back strictly (undefined
 * for a string `write` never gives).
 */
export interface CursorPart<T> {
  write(value: T): string;
  read(text: string): T | undefined;
}

/** A keyset's parts by name; the order of the keys is the order they are written in. */
export type CursorParts<K> = { readonly [P in keyof K]-?: CursorPart<K[P]> };

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The page cursor of every list operation: opaque, base64url of the JSON array of the keyset's
 * parts as strings (`["2026-11-28T10:00:00.000Z","<uuid>"]`). Decoding is strict: a cursor this
 * codec did not write (garbage, another list's cursor, a hand-edited one) is a 400 problem on
 * `cursor`, never a query.
 */
export class CursorCodec<K extends object> {
  private readonly names: (keyof K)[];

  constructor(private readonly parts: CursorParts<K>) {
    this.names = Object.keys(parts) as (keyof K)[];
  }

  /** The cursor of a keyset (other properties of `keyset`, a whole row, are ignored). */
  encode(keyset: K): string {
    const values = this.names.map((name) => this.parts[name].write(keyset[name]));
    return Buffer.from(JSON.stringify(values)).toString('base64url');
  }

  /** The keyset of a cursor (undefined without one); a 400 problem when it is not ours. */
  decode(cursor: string | undefined): K | undefined {
    if (cursor === undefined) return undefined;
    const keyset = this.read(cursor);
    if (keyset === undefined) {
      throw validationProblem([
        { name: 'cursor', reason: 'cursor is not a value returned as nextCursor' },
      ]);
    }
    return keyset;
  }

  private read(cursor: string): K | undefined {
    if (!BASE64URL.test(cursor)) return undefined;
    let values: unknown;
    try {
      values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!Array.isArray(values) || values.length !== this.names.length) return undefined;
    const keyset: Partial<K> = {};
    for (const [i, name] of this.names.entries()) {
      const text: unknown = values[i];
      if (typeof text !== 'string') return undefined;
      const value = this.parts[name].read(text);
      if (value === undefined) return undefined;
      keyset[name] = value;
    }
    // Only what encode() writes: no other spelling of the same values.
    return this.encode(keyset as K) === cursor ? (keyset as K) : undefined;
  }
}

const ISO_MILLISECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_MICROSECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BIGINT_ID = /^[1-9]\d{0,18}$/;
const BIGINT_MAX = 2n ** 63n - 1n;

/** The parts keysets are made of. */
export const cursorPart = {
  /** A time at millisecond precision (`toISOString()`). */
  time: {
    write: (value: Date) => value.toISOString(),
    read: (text: string) => {
      const value = ISO_MILLISECONDS.test(text) ? new Date(text) : undefined;
      return value && !Number.isNaN(value.getTime()) ? value : undefined;
    },
  } satisfies CursorPart<Date>,
  /**
   * A time at microsecond precision, kept as the text PostgreSQL wrote
   * (`2026-11-28T10:00:00.123456Z`), so that comparing it loses nothing.
   */
  microsecondTime: {
    write: (value: string) => value,
    read: (text: string) =>
      ISO_MICROSECONDS.test(text) && !Number.isNaN(Date.parse(text)) ? text : undefined,
  } satisfies CursorPart<string>,
  /** A UUID, lowercase. */
  uuid: {
    write: (value: string) => value,
    read: (text: string) => (UUID.test(text) ? text : undefined),
  } satisfies CursorPart<string>,
  /** A positive bigint id (`bigserial`), as its decimal text. */
  bigintId: {
    write: (value: string) => value,
    read: (text: string) => (BIGINT_ID.test(text) && BigInt(text) <= BIGINT_MAX ? text : undefined),
  } satisfies CursorPart<string>,
};
