import { describe, expect, it } from '@jest/globals';
import { ProblemType } from '#src/platform/problem/problem.js';
import {
  conflict,
  httpProblem,
  notFound,
  payloadTooLarge,
  rateLimited,
  serviceUnavailable,
  staleVersion,
  unauthorized,
  unprocessable,
} from '#src/platform/problem/problems.js';

describe('problem constructors', () => {
  it('give each status its usual type and title, and the caller’s detail', () => {
    expect(notFound('indicator').toProblem()).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'No such indicator',
    });
    expect(staleVersion('organization').toProblem()).toEqual({
      type: ProblemType.conflict,
      title: 'The record has changed',
      status: 409,
      detail:
        'The organization was changed since you read it: read it again and reapply your change',
    });
    expect(conflict('x exists', { extensions: { existingId: 'a' } }).toProblem()).toEqual({
      type: ProblemType.conflict,
      title: 'Conflict',
      status: 409,
      detail: 'x exists',
      existingId: 'a',
    });
    expect(unprocessable('no', { title: 'Refused' }).toProblem()).toMatchObject({
      type: ProblemType.validation,
      title: 'Refused',
      status: 422,
    });
    expect(httpProblem(415, undefined).toProblem()).toEqual({
      type: 'about:blank',
      title: 'Unsupported Media Type',
      status: 415,
    });
  });

  it('set the headers their status needs, and keep the ones the caller adds', () => {
    const limited = rateLimited('slow down', {
      name: 'things-per-x',
      value: 3,
      retryAfterSeconds: 4.2,
    });
    expect(limited.headers).toEqual({ 'retry-after': '5' });
    expect(limited.toProblem()).toMatchObject({
      status: 429,
      type: ProblemType.rateLimited,
      limit: 'things-per-x',
      limitValue: 3,
      retryAfter: 5,
    });
    expect(rateLimited('now', { name: 'x', value: 1, retryAfterSeconds: 0 }).headers).toEqual({
      'retry-after': '1',
    });
    const large = payloadTooLarge('too big', { name: 'body-size', value: 1024 });
    expect(large.getStatus()).toBe(413);
    expect(large.toProblem()).toMatchObject({ limit: 'body-size', limitValue: 1024 });
    expect(large.toProblem()).not.toHaveProperty('retryAfter');
    expect(
      serviceUnavailable('later', 1, { type: ProblemType.notReady, headers: { a: 'b' } }).headers,
    ).toEqual({ 'retry-after': '1', a: 'b' });
    const challenge = unauthorized('no token');
    expect(challenge.getStatus()).toBe(401);
    expect(challenge.type).toBe(ProblemType.unauthorized);
    expect(challenge.headers).toEqual({ 'www-authenticate': 'Bearer error="invalid_token"' });
  });
});
