import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiSecurity,
  getSchemaPath,
} from '@nestjs/swagger';
import { statusTitle } from '#src/platform/problem/index.js';

export class InvalidParamSchema {
  @ApiProperty({ example: 'contacts[0].email', description: 'Path of the offending field' })
  name!: string;

  @ApiProperty({ example: 'contacts[0].email must be an email', description: 'Why it was refused' })
  reason!: string;
}

/** RFC 9457 problem details, the body of every error response. */
export class ProblemSchema {
  @ApiProperty({
    example: 'urn:threat-exchange:problem:validation',
    description:
      'Problem type: `about:blank` (plain HTTP status) or a `urn:threat-exchange:problem:*` URN',
  })
  type!: string;

  @ApiProperty({ example: 'The request is not valid' })
  title!: string;

  @ApiProperty({ example: 400, minimum: 400, maximum: 599 })
  status!: number;

  @ApiPropertyOptional({ example: 'Field name is invalid: name must be a string' })
  detail?: string;

  @ApiProperty({ example: '/api/v1/organizations', description: 'The request path' })
  instance!: string;

  @ApiProperty({
    example: '0b8f6d2e-8a7e-4d39-9d0e-6f1c4e2b7a11',
    description: 'Same as the `x-request-id` response header; quote it when reporting a problem',
  })
  requestId!: string;

  @ApiPropertyOptional({
    name: 'invalid-params',
    type: [InvalidParamSchema],
    description: 'Validation problems only: one entry per failed rule',
  })
  'invalid-params'?: InvalidParamSchema[];

  @ApiPropertyOptional({
    example: 'snapshots-per-organization',
    description:
      'A 429 or 413 only: the name of the limit that refused the request (docs/operations.md#limits)',
  })
  limit?: string;

  @ApiPropertyOptional({
    example: 2,
    description: 'With `limit`: its configured value (a count, or bytes for a 413)',
  })
  limitValue?: number;

  @ApiPropertyOptional({
    example: 5,
    description: 'A 429 only: seconds to wait before retrying, as in `Retry-After`',
  })
  retryAfter?: number;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or a field is invalid (`invalid-params` lists each one)',
  401: 'No valid credentials',
  403: 'The credentials do not allow this operation (a person whose password was reset: type `urn:threat-exchange:problem:password-change-required`, until they change it)',
  404: 'No such resource (or not visible to the caller)',
  409: 'The request conflicts with the current state',
  413: 'The request body is larger than the configured limit',
  415: 'The request body has a media type this operation does not accept',
  422: 'The request is well-formed but cannot be processed',
  429: 'A limit is reached (`limit` names it); retry after `Retry-After` seconds',
  500: 'Unexpected error; nothing internal is disclosed, quote the request id',
  503: 'The database is unavailable; see `Retry-After`',
};

/** Documents the given error statuses of an operation as problem+json responses. */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemSchema),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? statusTitle(status),
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemSchema) } } },
        ...(status === 503 || status === 429
          ? {
              headers: {
                'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
              },
            }
          : {}),
      }),
    ),
  );
}

/** Marks an operation as open to anonymous callers (`security: [{}]` in the document). */
export function ApiPublic(): MethodDecorator & ClassDecorator {
  return ApiSecurity({});
}
