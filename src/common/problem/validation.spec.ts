import { describe, expect, it } from '@jest/globals';
import type { ValidationError } from 'class-validator';
import { flattenValidationErrors, validationProblem } from '#src/common/problem/validation.js';

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
