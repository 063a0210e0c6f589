import { Readable } from 'node:stream';
import fastifyRateLimit from '@fastify/rate-limit';
import type { Clock } from '#src/platform/clock/index.js';
import {
  installBodyParsing,
  runWithRequestContext,
  REQUEST_ID_HEADER,
  requestIdFor,
  depthLimitedJsonParser,
  installTimeouts,
} from '#src/platform/http/index.js';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CheckpointHeader, documentAuditCheckpoint } from '#src/audit/index.js';
import { ConditionalPoll, TAXII_ERROR_DIALECT } from '#src/feeds/index.js';
import { AppModule } from '#src/app/app.module.js';
import { IdempotencyHooks } from '#src/platform/idempotency/index.js';
import { PinoNestLogger } from '#src/platform/logging/index.js';
import {
  ProblemFilter,
  sendClientError,
  sendProblem,
  httpProblem,
  rateLimited,
  serviceUnavailable,
  createValidationPipe,
  validationProblem,
} from '#src/platform/problem/index.js';
import { unstorableTextAt } from '#src/platform/json/index.js';
import { OAUTH_ERROR_DIALECT } from '#src/identity/index.js';
import type { AppConfig } from '#src/app/config.js';
import { MetricsService } from '#src/platform/metrics/index.js';
import { trustedProxies } from '#src/platform/config/index.js';
import { buildOpenApiDocument, setupOpenApi } from '#src/platform/openapi/index.js';
import { PROJECT_VERSION } from '#src/platform/project/index.js';
import { installConsole } from '#src/app/console/index.js';

export const API_PREFIX = 'api/v1';
/** Platform routes that stay outside the versioned API prefix. */
const UNPREFIXED = [
  'health/live',
  'health/ready',
  'metrics',
  '.well-known/jwks.json',
  // TAXII clients expect the server at /taxii2/ (TAXII 2.1 §4.1).
  'taxii2',
  'taxii2/{*path}',
];

export interface RouteInfo {
  method: string;
  url: string;
}

const ROUTES = new WeakMap<object, RouteInfo[]>();

/** Every route the application serves (HEAD excepted): what the access-matrix test walks. */
export function routesOf(app: NestFastifyApplication): RouteInfo[] {
  return ROUTES.get(app) ?? [];
}

export interface CreateAppOptions {
  config: AppConfig;
  databaseUrl: string;
  logger: Logger;
  /** Extra modules for tests. */
  extraImports?: ModuleMetadata['imports'];
  /** The application's clock (tests pass a ManualClock). */
  clock?: Clock;
  /**
   * Build the module graph without instantiating providers (no database connection): enough
   * to generate the OpenAPI document.
   */
  preview?: boolean;
}

/** Errors answered in a protocol's own shape rather than problem+json: OAuth's, TAXII's. */
const ERROR_DIALECTS = [OAUTH_ERROR_DIALECT, TAXII_ERROR_DIALECT];

/** The OpenAPI document of `app`: the platform's, with what the contexts add. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  return buildOpenApiDocument(app, PROJECT_VERSION, [documentAuditCheckpoint]);
}

/**
 * The application, fully configured but not listening: main.ts listens on it, the tests call
 * it as is, so both run the same hooks, filters, pipes and documentation.
 */
export async function createApp(options: CreateAppOptions): Promise<NestFastifyApplication> {
  const { config, logger } = options;
  const { platform } = config;
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One line per request, written by the onResponse hook below.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    genReqId: requestIdFor,
    bodyLimit: platform.BODY_LIMIT_BYTES,
    // Behind a reverse proxy, the client's address comes from X-Forwarded-For (rate limits,
    // audit events), believed only from the proxies configured.
    trustProxy: trustedProxies(platform),
    // Slow clients: a silent socket is closed (installTimeouts counts it), an idle keep-alive
    // connection too; a slow body is refused by installTimeouts' own timer.
    connectionTimeout: platform.HTTP_IDLE_TIMEOUT_MS,
    keepAliveTimeout: platform.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    // TAXII URLs end with a slash (`/taxii2/feeds/`); the rest of the API is indifferent.
    routerOptions: { ignoreTrailingSlash: true },
    // While closing, new requests get a problem+json 503 from the onRequest hook below.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // What Node's HTTP parser refuses (a 100 kB request line, say) is a problem too.
    clientErrorHandler: sendClientError,
    // Errors Fastify raises before routing (a malformed URL, say) are problems too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      void reply.header(REQUEST_ID_HEADER, request.id);
      sendProblem(request, reply, httpProblem(status, error.message), ERROR_DIALECTS);
    },
  });
  const fastify = adapter.getInstance();
  const routes: RouteInfo[] = [];
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url });
    }
  });
  let metrics: MetricsService | undefined;

  installTimeouts(fastify, {
    bodyTimeoutMs: platform.HTTP_BODY_TIMEOUT_MS,
    onTimeout: (kind) => metrics?.timedOut(kind),
  });
  // Only JSON bodies by default; streaming routes (bulk import) take JSON, CSV and text.
  fastify.removeContentTypeParser('text/plain');
  adapter.useBodyParser(
    'application/json',
    false,
    { bodyLimit: platform.BODY_LIMIT_BYTES },
    depthLimitedJsonParser(fastify),
  );
  installBodyParsing(fastify, {
    largeBodyLimitBytes: config.publishing.ITEMS_BODY_LIMIT_BYTES,
  });

  // Text PostgreSQL cannot store (NUL, unpaired surrogates) is refused where it enters, before
  // any handler could write it: a 400 naming the field, never a database error later.
  fastify.addHook('preValidation', (request, reply, done) => {
    const body = request.body instanceof Readable ? undefined : request.body;
    const at =
      unstorableTextAt(request.params, 'path') ??
      unstorableTextAt(request.query, 'query') ??
      unstorableTextAt(body);
    if (at === undefined) {
      done();
      return;
    }
    sendProblem(
      request,
      reply,
      validationProblem([
        {
          name: at,
          reason: `${at} holds a NUL character or an unpaired UTF-16 surrogate, which no text field accepts`,
        },
      ]),
      ERROR_DIALECTS,
    );
  });

  let closing = false;
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    if (closing) {
      void reply.header('connection', 'close');
      sendProblem(
        request,
        reply,
        serviceUnavailable(
          'The service is shutting down; retry on another instance or in a moment.',
          1,
        ),
        ERROR_DIALECTS,
      );
      return;
    }
    // The audit trail reads the request id and client address from here.
    runWithRequestContext({ requestId: request.id, clientIp: request.ip }, done);
  });

  // Graceful shutdown: once closing, every response asks the client to close its connection,
  // so that keep-alive connections of requests still in flight do not hold the server open.
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const durationMs = reply.elapsedTime;
    metrics?.observe({
      method: request.method,
      route,
      status: reply.statusCode,
      durationSeconds: durationMs / 1000,
    });
    request.log.info(
      {
        method: request.method,
        url: request.url,
        route,
        status: reply.statusCode,
        durationMs: Math.round(durationMs * 100) / 100,
      },
      'request completed',
    );
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({
      config,
      url: options.databaseUrl,
      logger,
      extraImports: options.extraImports,
      clock: options.clock,
    }),
    adapter,
    { logger: new PinoNestLogger(logger), abortOnError: false, preview: options.preview ?? false },
  );
  // ISPs' conditional polls of the change feed are answered before Nest's pipeline.
  if (!options.preview) app.get(ConditionalPoll).install(fastify);
  // Feed and TAXII answers (those early 304s too) carry the latest signed audit checkpoint.
  if (!options.preview) app.get(CheckpointHeader).install(fastify);
  // Idempotency-Key: answers of keyed POSTs are stored (or replayed) once final, in onSend.
  if (!options.preview) app.get(IdempotencyHooks).install(fastify);
  app.useGlobalFilters(
    new ProblemFilter({
      retryAfterSeconds: platform.DB_UNAVAILABLE_RETRY_AFTER_S,
      bodyLimitBytes: platform.BODY_LIMIT_BYTES,
      dialects: ERROR_DIALECTS,
      onLimit: (name) => metrics?.refused(name),
    }),
  );
  app.useGlobalPipes(createValidationPipe());
  // Per-route limits (routes opt in with @RouteConfig({ rateLimit: {} })), per client address.
  await app.register(fastifyRateLimit, {
    global: false,
    max: config.identity.AUTH_RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) =>
      rateLimited(
        `At most ${context.max} requests per minute to this operation from one address; retry after the given delay.`,
        {
          name: 'auth-requests-per-address',
          value: context.max,
          retryAfterSeconds: context.ttl / 1000,
        },
        { title: 'Too many requests' },
      ),
  });
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
  setupOpenApi(app, openApiDocument(app));
  // The web console (web/, built into dist/web) at / and the paths it routes in the browser.
  if (!options.preview) installConsole(fastify, { dialects: ERROR_DIALECTS });
  ROUTES.set(app, routes);
  if (!options.preview) {
    metrics = app.get(MetricsService);
    await app.init();
    await fastify.ready();
  }
  return app;
}
