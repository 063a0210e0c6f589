import { describe, expect, it } from '@jest/globals';
import { CursorCodec, cursorPart } from '#src/platform/pagination/cursor-codec.js';
import { KEYSET_CURSOR } from '#src/platform/pagination/cursor.js';
import { ProblemException } from '#src/platform/problem/index.js';

const raw = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The problem decode() throws, or undefined when it throws none. */
function problemOf(
  codec: { decode(cursor: string): unknown },
  cursor: string,
): ProblemException | undefined {
  try {
    codec.decode(cursor);
    return undefined;
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
}

const EVENTS = new CursorCodec<{ at: string; id: string }>({
  at: cursorPart.microsecondTime,
  id: cursorPart.bigintId,
});
const BY_ID = new CursorCodec<{ id: string }>({ id: cursorPart.bigintId });
const UUID = '0190a4c2-7b1e-7c3d-8e4f-5a6b7c8d9e0f';

describe('CursorCodec', () => {
  it('writes base64url of the JSON array of the parts, in the order they are declared', () => {
    const keyset = { createdAt: new Date('2026-11-28T10:00:00.123Z'), id: UUID };
    const cursor = KEYSET_CURSOR.encode({ ...keyset, ...{ name: 'ignored' } });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).toBe(raw(['2026-11-28T10:00:00.123Z', UUID]));
    expect(KEYSET_CURSOR.decode(cursor)).toEqual(keyset);
    expect(EVENTS.encode({ at: '2026-11-28T10:00:00.123456Z', id: '42' })).toBe(
      raw(['2026-11-28T10:00:00.123456Z', '42']),
    );
    expect(BY_ID.encode({ id: '7' })).toBe(raw(['7']));
  });

  it('round-trips every keyset it writes', () => {
    const keyset = { at: '2026-02-28T23:59:59.999999Z', id: '9223372036854775807' };
    expect(EVENTS.decode(EVENTS.encode(keyset))).toEqual(keyset);
    expect(BY_ID.decode(BY_ID.encode({ id: '1' }))).toEqual({ id: '1' });
  });

  it('decodes no cursor as no keyset', () => {
    expect(KEYSET_CURSOR.decode(undefined)).toBeUndefined();
  });

  it.each([
    ['not base64url', 'a+b/c'],
    ['padding', `${raw(['1'])}=`],
    ['not JSON', Buffer.from('[1,').toString('base64url')],
    ['an object', raw({ id: '1' })],
    ['too few parts', raw([])],
    ['too many parts', raw(['1', '2'])],
    ['a number, not a string', raw([1])],
    ['zero', raw(['0'])],
    ['a leading zero', raw(['01'])],
    ['beyond bigint', raw(['9223372036854775808'])],
    ['another spelling (spaces)', Buffer.from('[ "1" ]').toString('base64url')],
  ])('refuses %s with a 400 problem on cursor', (_, cursor) => {
    const problem = problemOf(BY_ID, cursor);
    expect(problem?.getStatus()).toBe(400);
    expect(problem?.extensions['invalid-params']).toEqual([
      { name: 'cursor', reason: 'cursor is not a value returned as nextCursor' },
    ]);
  });

  it.each([
    ['a time without milliseconds', raw(['2026-11-28T10:00:00Z', UUID])],
    ['a time that is no date', raw(['2026-13-45T10:00:00.000Z', UUID])],
    ['a date that rolls over', raw(['2026-02-30T10:00:00.000Z', UUID])],
    ['an id that is no UUID', raw(['2026-11-28T10:00:00.000Z', '-'.repeat(36)])],
    ['an uppercase UUID', raw(['2026-11-28T10:00:00.000Z', UUID.toUpperCase()])],
    ['the parts swapped', raw([UUID, '2026-11-28T10:00:00.000Z'])],
  ])('refuses a (created_at, id) cursor with %s', (_, cursor) => {
    expect(problemOf(KEYSET_CURSOR, cursor)?.getStatus()).toBe(400);
  });

  it.each([
    ['milliseconds, not microseconds', raw(['2026-11-28T10:00:00.123Z', '1'])],
    ['a time that is no date', raw(['2026-11-28T25:00:00.000000Z', '1'])],
    ['a UUID for an id', raw(['2026-11-28T10:00:00.000000Z', UUID])],
    ['another list’s cursor', KEYSET_CURSOR.encode({ createdAt: new Date(0), id: UUID })],
  ])('refuses an (at, id) cursor with %s', (_, cursor) => {
    expect(problemOf(EVENTS, cursor)?.getStatus()).toBe(400);
  });
});
