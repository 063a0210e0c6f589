import { describe, expect, it } from '@jest/globals';
import {
  isDatabaseUnavailable,
  sqlState,
  uniqueViolation,
} from '#src/platform/database/database-errors.js';

describe('isDatabaseUnavailable', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }],
    [{ code: 'ECONNRESET' }],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }],
    [{ code: '08006' }],
    [{ code: '53300' }],
    [new Error('Connection terminated unexpectedly')],
    [new Error('timeout exceeded when trying to connect')],
    [{ name: 'QueryFailedError', driverError: { code: '57P03' } }],
    [{ message: 'wrapped', cause: { code: 'ETIMEDOUT' } }],
  ])('is true for %j', (error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    [{ code: '23505' }],
    [{ code: '42P01', message: 'relation "x" does not exist' }],
    [new Error('boom')],
    [null],
    ['ECONNREFUSED'],
  ])('is false for %j', (error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('sqlState', () => {
  it('reads the SQLSTATE directly or through TypeORM', () => {
    expect(sqlState({ code: '23505' })).toBe('23505');
    expect(sqlState({ driverError: { code: '23503' } })).toBe('23503');
    expect(sqlState({ code: 'ECONNREFUSED' })).toBeUndefined();
    expect(sqlState(undefined)).toBeUndefined();
  });
});

describe('uniqueViolation', () => {
  it('names the unique index of a 23505, directly or through TypeORM, and nothing else', () => {
    expect(uniqueViolation({ code: '23505', constraint: 'users_email_key' })).toBe(
      'users_email_key',
    );
    expect(
      uniqueViolation({
        driverError: { code: '23505', constraint: 'organizations_short_code_key' },
      }),
    ).toBe('organizations_short_code_key');
    expect(uniqueViolation({ code: '23503', constraint: 'fk' })).toBeUndefined();
    expect(uniqueViolation({ code: '23505' })).toBeUndefined();
    expect(uniqueViolation(null)).toBeUndefined();
  });
});
