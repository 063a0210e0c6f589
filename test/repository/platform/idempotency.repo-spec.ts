import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import {
  IdempotencyRepository,
  type ClaimInput,
} from '#src/platform/idempotency/idempotency.repository.js';
import { repositoryDataSource } from '#test/support/repository-db.js';

/** `idempotency_keys`: claims, answers, leases and the purge. Each test has its own caller. */
describe('IdempotencyRepository', () => {
  let ds: DataSource;
  let repo: IdempotencyRepository;
  const T0 = new Date('1983-01-01T00:00:00Z');
  const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

  beforeAll(async () => {
    ds = await repositoryDataSource();
    repo = new IdempotencyRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  function claimOf(principalId: string, overrides: Partial<ClaimInput> = {}): ClaimInput {
    return {
      principalId,
      key: 'k-1',
      method: 'POST',
      path: '/v1/things',
      requestHash: Buffer.from('hash-a'),
      now: at(0),
      lockedUntil: at(30),
      expiresAt: at(3600),
      ...overrides,
    };
  }

  it('one of two concurrent claims of a key wins', async () => {
    const principal = randomUUID();
    const results = await Promise.all([
      repo.claim(claimOf(principal)),
      repo.claim(claimOf(principal)),
    ]);
    expect(results.sort()).toEqual([false, true]);
  });

  it('stores the answer for retries; a completed key is not claimed again before it expires', async () => {
    const principal = randomUUID();
    const c = claimOf(principal);
    expect(await repo.claim(c)).toBe(true);
    const answer = { status: 201, headers: { location: '/v1/things/1' }, body: Buffer.from('{}') };
    expect(await repo.complete(principal, c.key, Buffer.from('other'), answer)).toBe(false);
    expect(await repo.complete(principal, c.key, c.requestHash, answer)).toBe(true);
    expect(await repo.find(principal, c.key)).toMatchObject({ state: 'done', response: answer });
    expect(await repo.claim({ ...c, now: at(3599) })).toBe(false);
    // Expired: the key is free again, for any request.
    const later = claimOf(principal, {
      now: at(3600),
      requestHash: Buffer.from('hash-b'),
      expiresAt: at(7200),
    });
    expect(await repo.claim(later)).toBe(true);
    expect(await repo.find(principal, c.key)).toMatchObject({ state: 'in_flight', response: null });
  });

  it('a lease left in flight is taken over only by the same request, after it runs out', async () => {
    const principal = randomUUID();
    const c = claimOf(principal);
    expect(await repo.claim(c)).toBe(true);
    expect(await repo.claim({ ...c, now: at(29) })).toBe(false);
    expect(await repo.claim({ ...c, now: at(31), requestHash: Buffer.from('other') })).toBe(false);
    expect(await repo.claim({ ...c, now: at(31), lockedUntil: at(61) })).toBe(true);
  });

  it('release frees an in-flight key of the same request only', async () => {
    const principal = randomUUID();
    const c = claimOf(principal);
    await repo.claim(c);
    await repo.release(principal, c.key, Buffer.from('other'));
    expect(await repo.find(principal, c.key)).toBeDefined();
    await repo.release(principal, c.key, c.requestHash);
    expect(await repo.find(principal, c.key)).toBeUndefined();
  });

  it('purges expired keys, oldest first, skipping a row another transaction holds', async () => {
    const principal = randomUUID();
    // Expired long before anything the tests beside this one write.
    const expired = (key: string, seconds: number) =>
      repo.claim(
        claimOf(principal, {
          key,
          now: at(-10_000),
          lockedUntil: at(-9000),
          expiresAt: at(seconds),
        }),
      );
    await expired('held', -600);
    await expired('a', -500);
    await expired('b', -400);
    const live = claimOf(principal, {
      key: 'live',
      now: new Date(),
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    await repo.claim(live);

    const runner = ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query(
        `SELECT 1 FROM idempotency_keys WHERE principal_id = $1 AND key = 'held' FOR UPDATE`,
        [principal],
      );
      // Other callers' expired keys may go too: count only ours.
      let purged = 0;
      while ((await repo.purgeExpired(at(0), 1000)) > 0) purged++;
      expect(purged).toBeGreaterThan(0);
      expect(await repo.find(principal, 'a')).toBeUndefined();
      expect(await repo.find(principal, 'b')).toBeUndefined();
      expect(await repo.find(principal, 'held')).toBeDefined();
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    expect(await repo.find(principal, 'live')).toBeDefined();
    expect(await repo.purgeExpired(at(0), 1000)).toBeGreaterThanOrEqual(1);
    expect(await repo.find(principal, 'held')).toBeUndefined();
  });
});
