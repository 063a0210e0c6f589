import { ValidateIf } from 'class-validator';
import { HttpStatus, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemException, ProblemType, type InvalidParam } from '#src/common/problem/problem.js';

function join(parent: string, property: string): string {
  if (parent === '') return property;
  return /^\d+$/.test(property) ? `${parent}[${property}]` : `${parent}.${property}`;
}

/** Flattens class-validator's tree into one entry per failed constraint, with dotted paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): InvalidParam[] {
  const out: InvalidParam[] = [];
  for (const error of errors) {
    const name = join(parent, error.property);
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      out.push({
        name,
        reason: constraint === 'whitelistValidation' ? `${name} is not an accepted field` : message,
      });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, name));
  }
  return out;
}

export function validationProblem(params: InvalidParam[]): ProblemException {
  const fields = [...new Set(params.map((p) => p.name))];
  return new ProblemException(HttpStatus.BAD_REQUEST, {
    type: ProblemType.validation,
    title: 'The request is not valid',
    detail:
      fields.length === 1
        ? `Field ${fields[0]} is invalid: ${params[0]?.reason ?? ''}`.trim()
        : `${fields.length} fields are invalid: ${fields.join(', ')}`,
    extensions: { 'invalid-params': params },
  });
}

/**
 * The one validation pipe of the application: unknown fields are rejected, payloads are
 * transformed into their DTO classes, and failures become one problem listing every field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(flattenValidationErrors(errors)),
  });
}

/**
 * Like @IsOptional(), but only an absent field is skipped: `null` is validated (and refused
 * by the field's type checks). Fields of records whose columns are NOT NULL use this, so that
 * `{"title": null}` is a 400 rather than a constraint violation.
 */
export function Omittable(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}
