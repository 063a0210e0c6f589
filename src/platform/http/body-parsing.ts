import type { Readable } from 'node:stream';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Media types a streaming route accepts; the handler reads the body itself. */
export const STREAM_MEDIA_TYPES = ['application/json', 'text/csv', 'text/plain'] as const;
export type StreamMediaType = (typeof STREAM_MEDIA_TYPES)[number];

const STREAM_MARKER = 'application/x-threat-exchange-stream';
const streamedTypes = new WeakMap<FastifyRequest['raw'], string>();

interface BodyRouteConfig {
  streamBody?: boolean;
  /** The media types a streaming route takes, when not STREAM_MEDIA_TYPES. */
  streamMediaTypes?: readonly string[];
  largeBody?: boolean;
}

/**
 * The route's body is handed over unread, as a stream (bulk import): Fastify neither buffers
 * nor limits it, the handler does. `rateLimit` etc. can be passed along; `mediaTypes` (lower
 * case, without parameters) replaces the accepted STREAM_MEDIA_TYPES (an incident's attachment
 * takes images, PDF, zip…); any other type is a 415.
 */
export const StreamBody = (
  extra: Record<string, unknown> = {},
  mediaTypes?: readonly string[],
): MethodDecorator =>
  RouteConfig({
    ...extra,
    streamBody: true,
    ...(mediaTypes ? { streamMediaTypes: mediaTypes } : {}),
  });

/**
 * The route takes JSON bodies up to `largeBodyLimitBytes` (ITEMS_BODY_LIMIT_BYTES, publishing's)
 * instead of BODY_LIMIT_BYTES.
 */
export const LargeJsonBody = (): MethodDecorator => RouteConfig({ largeBody: true });

/**
 * JSON nested deeper than this is refused (400) before it is parsed: no operation's body comes
 * near it, and validation (class-transformer) walks a body recursively, so a body nested a few
 * thousand deep overflowed the stack (a 500).
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `text` opens more than `max` arrays or objects inside one another (strings skipped). */
export function jsonNestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * The body parser for application/json (given to Nest's `useBodyParser`, which then adds no
 * parser of its own): Fastify's, with its prototype-poisoning checks, behind the depth check.
 */
export function depthLimitedJsonParser(
  fastify: FastifyInstance,
): (
  request: FastifyRequest,
  body: Buffer,
  done: (error: Error | null, body?: unknown) => void,
) => void {
  const parseJson = fastify.getDefaultJsonParser(
    fastify.initialConfig.onProtoPoisoning ?? 'error',
    fastify.initialConfig.onConstructorPoisoning ?? 'error',
  );
  return (request, body, done) => {
    const text = body.toString('utf8');
    if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
      const error = new SyntaxError(`it is nested more than ${MAX_JSON_DEPTH} levels deep`);
      done(Object.assign(error, { statusCode: 400 }));
      return;
    }
    void parseJson(request, text, done);
  };
}

/**
 * Streaming routes: a preParsing hook notes the request's media type and routes its body to a
 * pass-through parser; other routes keep Fastify's JSON parser and limit.
 */
export function installBodyParsing(
  fastify: FastifyInstance,
  limits: { largeBodyLimitBytes: number },
): void {
  fastify.addHook('onRoute', (route) => {
    const routeConfig = route.config as BodyRouteConfig | undefined;
    if (routeConfig?.largeBody) route.bodyLimit = limits.largeBodyLimitBytes;
  });
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const routeConfig = request.routeOptions.config as BodyRouteConfig;
    const header = request.headers['content-type'];
    if (routeConfig.streamBody && header !== undefined) {
      const mediaType = header.split(';')[0].trim().toLowerCase();
      const accepted = routeConfig.streamMediaTypes ?? STREAM_MEDIA_TYPES;
      const known = accepted.find((t) => t === mediaType);
      if (known) {
        streamedTypes.set(request.raw, header);
        request.headers['content-type'] = STREAM_MARKER;
      }
    }
    done(null, payload);
  });
  fastify.addContentTypeParser(STREAM_MARKER, (request, payload, done) => {
    if (!streamedTypes.has(request.raw)) {
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), undefined);
      return;
    }
    done(null, payload);
  });
}

/** The body stream and its Content-Type header, on a route declared with @StreamBody(). */
export function streamedBody(
  request: FastifyRequest,
): { stream: Readable; contentType: string } | undefined {
  const contentType = streamedTypes.get(request.raw);
  if (contentType === undefined) return undefined;
  return { stream: request.body as Readable, contentType };
}
