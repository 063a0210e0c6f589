import { describe, expect, it } from '@jest/globals';
import { IsUUID, type ValidationError } from 'class-validator';
import { ProblemException } from '#src/platform/problem/problem.js';
import {
  IsIsoDateTime,
  Lowercase,
  createValidationPipe,
  flattenValidationErrors,
  validationProblem,
} from '#src/platform/problem/validation.js';

class Stamped {
  @IsIsoDateTime()
  at!: Date;

  @Lowercase()
  @IsUUID()
  id!: string;
}

const ID = '0b8f6d2e-8a7e-4d39-9d0e-6f1c4e2b7a11';
const pipe = createValidationPipe();
const parse = (value: object) =>
  pipe.transform(value, { type: 'body', metatype: Stamped }) as Promise<Stamped>;

describe('validation problems', () => {
  const errors: ValidationError[] = [
    { property: 'name', constraints: { isString: 'name must be a string' }, children: [] },
    {
      property: 'contacts',
      children: [
        {
          property: '1',
          children: [
            { property: 'email', constraints: { isEmail: 'email must be an email' }, children: [] },
          ],
        },
      ],
    },
    { property: 'extra', constraints: { whitelistValidation: 'property extra should not exist' } },
  ];

  it('flattens nested errors into dotted paths with array indexes', () => {
    expect(flattenValidationErrors(errors)).toEqual([
      { name: 'name', reason: 'name must be a string' },
      { name: 'contacts[1].email', reason: 'email must be an email' },
      { name: 'extra', reason: 'extra is not an accepted field' },
    ]);
  });

  it('makes one 400 problem that names the fields', () => {
    const problem = validationProblem(flattenValidationErrors(errors)).toProblem();
    expect(problem.status).toBe(400);
    expect(problem.type).toBe('urn:threat-exchange:problem:validation');
    expect(problem.detail).toBe('3 fields are invalid: name, contacts[1].email, extra');
    expect(problem['invalid-params']).toHaveLength(3);
  });
});

describe('IsIsoDateTime and Lowercase', () => {
  it('takes ISO 8601 date-times with a zone, and lowercases a UUID', async () => {
    for (const [raw, iso] of [
      ['2026-11-21T17:30:00Z', '2026-11-21T17:30:00.000Z'],
      ['2026-11-21T17:30:00.123456Z', '2026-11-21T17:30:00.123Z'],
      ['2026-11-22T00:30+07:00', '2026-11-21T17:30:00.000Z'],
      ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
    ]) {
      const out = await parse({ at: raw, id: ID.toUpperCase() });
      expect(out.at).toBeInstanceOf(Date);
      expect(out.at.toISOString()).toBe(iso);
      expect(out.id).toBe(ID);
    }
  });

  it('refuses numbers, booleans, zone-less and impossible times with a 400 naming the field', async () => {
    for (const at of [
      0,
      true,
      '2026-11-01T10:00',
      '2026-11-01',
      '2026-13-01T10:00:00Z',
      // Days and times that do not exist are refused, not rolled over into the next ones.
      '2026-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-11-01T24:00:00Z',
      '2026-11-01T10:60:00Z',
      '-200000-01-01T00:00:00Z',
      '',
      null,
    ]) {
      const error = await parse({ at, id: ID }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProblemException);
      const problem = (error as ProblemException).toProblem();
      expect(problem.status).toBe(400);
      expect(problem['invalid-params']).toEqual([
        { name: 'at', reason: expect.stringMatching(/ISO 8601 date-time with a zone/) },
      ]);
    }
  });
});
