import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type HeadersObject,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { ProblemSchema } from '#src/platform/openapi/problem.schema.js';

export const OPENAPI_UI_PATH = 'api/docs';
export const OPENAPI_JSON_PATH = 'api/openapi.json';

/** Every operation can fail unexpectedly: each gets a documented 500 problem response. */
function addCommonResponses(document: OpenAPIObject): OpenAPIObject {
  const ref = { $ref: '#/components/schemas/ProblemSchema' };
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = item[method];
      if (!op) continue;
      op.responses['500'] ??= {
        description: 'Unexpected error; nothing internal is disclosed, quote the request id',
        content: { 'application/problem+json': { schema: ref } },
      };
    }
  }
  return document;
}

/**
 * Every authenticated POST under /api/v1 honours `Idempotency-Key` (IdempotencyInterceptor,
 * app-wide): the header and its 409/422 answers are documented here, once, for all of them.
 * Streamed uploads (a `text/csv` body) refuse the key, and say so.
 */
function addIdempotencyKey(document: OpenAPIObject): OpenAPIObject {
  const ref = { $ref: '#/components/schemas/ProblemSchema' };
  const problem = (description: string, headers?: HeadersObject) => ({
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/problem+json': { schema: ref } },
  });
  for (const [path, item] of Object.entries(document.paths)) {
    const op = item.post;
    if (!op || !path.startsWith('/api/v1/') || !op.security?.length) continue;
    const streamed = Object.keys(
      (op.requestBody as { content?: object } | undefined)?.content ?? {},
    ).includes('text/csv');
    op.parameters = [
      ...(op.parameters ?? []),
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: streamed
          ? 'Not supported on this streamed upload: a request with the header is refused (400).'
          : 'Makes a retry safe (draft-ietf-httpapi-idempotency-key-header): 1–255 visible ASCII characters, a UUID for example, unique per operation. A retry with the same key and the same request gets the first answer again (with `Idempotent-Replayed: true`) without executing twice; see docs/isp-integration.md.',
        schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
      },
    ];
    if (streamed) continue;
    const conflict = op.responses['409'] as { description?: string } | undefined;
    op.responses['409'] = problem(
      `${conflict?.description ? `${conflict.description}; or a` : 'A'} request with the same Idempotency-Key is still in progress (see \`Retry-After\`)`,
      { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait' } },
    );
    const unprocessable = op.responses['422'] as { description?: string } | undefined;
    op.responses['422'] = problem(
      `${unprocessable?.description ? `${unprocessable.description}; or the` : 'The'} Idempotency-Key was used for a different request`,
    );
  }
  return document;
}

/** What a context adds to the document, once for many routes (the audit checkpoint header). */
export type OpenApiAddition = (document: OpenAPIObject) => OpenAPIObject;

/**
 * The OpenAPI 3 document of the running application, with the contexts' `additions` applied
 * last, in order (the composition root's list); `docs/openapi.json` is this, committed.
 */
export function buildOpenApiDocument(
  app: INestApplication,
  version: string,
  additions: readonly OpenApiAddition[],
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Threat-indicator exchange API')
    .setDescription(
      'Blocking requests and threat indicators published by the Department of Information and ' +
        'Communications to ISPs; feeds in the formats ISP equipment uses; confirmations of ' +
        'the filtering applied; a verifiable audit trail. Every error is RFC 9457 ' +
        '`application/problem+json` (under /taxii2/, a TAXII 2.1 error message); every response carries `x-request-id`.',
    )
    .setVersion(version)
    .setLicense('Proprietary', 'https://example.invalid/license')
    .addServer('/', 'This server')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'Access token from /api/v1/auth/login or /api/v1/auth/token',
      },
      'bearer',
    )
    .addBasicAuth(
      {
        type: 'http',
        scheme: 'basic',
        description: 'TAXII 2.1 routes only: an ISP API client id and secret',
      },
      'basic',
    )
    .addOAuth2(
      {
        type: 'oauth2',
        description: 'ISP API clients: client credentials grant',
        flows: { clientCredentials: { tokenUrl: '/api/v1/auth/token', scopes: {} } },
      },
      'oauth2',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ProblemSchema],
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey}_${methodKey}`,
  });
  return additions.reduce(
    (doc, addition) => addition(doc),
    addIdempotencyKey(addCommonResponses(document)),
  );
}

/** Swagger UI at /api/docs and the JSON document at /api/openapi.json. */
export function setupOpenApi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup(OPENAPI_UI_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Threat-indicator exchange API',
  });
}
