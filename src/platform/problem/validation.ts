import { Transform } from 'class-transformer';
import { ValidateBy, ValidateIf } from 'class-validator';
import { applyDecorators, ValidationPipe, type ValidationError } from '@nestjs/common';
import {
  ProblemType,
  type InvalidParam,
  type ProblemException,
} from '#src/platform/problem/problem.js';
import { badRequest } from '#src/platform/problem/problems.js';

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
  return badRequest(
    fields.length === 1
      ? `Field ${fields[0]} is invalid: ${params[0]?.reason ?? ''}`.trim()
      : `${fields.length} fields are invalid: ${fields.join(', ')}`,
    {
      type: ProblemType.validation,
      title: 'The request is not valid',
      extensions: { 'invalid-params': params },
    },
  );
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

/** An ISO 8601 date-time with its zone (Z or ±hh:mm); seconds and fractions optional. */
const ISO_DATE_TIME_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * The Date of an ISO 8601 date-time with a zone, or undefined when it is not one or names a
 * moment that does not exist (2026-02-30, 24:00, minute 60): Date.parse would roll those over
 * into the next day or month instead of refusing them.
 */
export function parseIsoDateTime(text: string): Date | undefined {
  const m = ISO_DATE_TIME_WITH_ZONE.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * A date-time input: only an ISO 8601 string with a zone naming a moment that exists becomes a
 * Date; anything else (a number, a boolean, a local time without zone, "2026-13-01T…",
 * "2026-02-30T…") is a 400 naming the field.
 * `@Type(() => Date) @IsDate()` would take 0, true or a zone-less time read in the server's zone.
 */
export function IsIsoDateTime(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (parseIsoDateTime(value) ?? value) : value,
    ),
    ValidateBy({
      name: 'isIsoDateTime',
      validator: {
        validate: (value: unknown) => value instanceof Date && !Number.isNaN(value.getTime()),
        defaultMessage: (args) =>
          `${args?.property ?? 'the field'} must be an ISO 8601 date-time with a zone (Z or ±hh:mm), e.g. 2026-11-21T17:30:00Z`,
      },
    }),
  );
}

/** At most 16 decimal digits: beyond, a number is not exact as a JavaScript number. */
const DECIMAL_INTEGER = /^\d{1,16}$/;

/**
 * An integer from `min` to `max`, given as a JSON number or as text (a query parameter): only
 * plain decimal digits are read as a number; anything else (`1e300`, `0x10`, ` 1`, `1.0`,
 * `+1`, an array from a repeated parameter) is refused with one message naming the range.
 * `@Type(() => Number)` would read `1e3` as 1000, `0x10` as 16 and ` ` as 0.
 */
export function IntegerParam(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && DECIMAL_INTEGER.test(value) ? Number(value) : value,
    ),
    ValidateBy({
      name: 'isIntegerInRange',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max,
        defaultMessage: (args) =>
          `${args?.property ?? 'the field'} must be a whole number from ${min} to ${max}, in decimal digits`,
      },
    }),
  );
}

/**
 * Text compared as lower case: a hex digest or a UUID in either case is the same value (and
 * PostgreSQL prints UUIDs in lower case).
 */
export function Lowercase(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  );
}
