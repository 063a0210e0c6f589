import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';

export type ConnectionTimeout = 'idle' | 'body';

export interface TimeoutOptions {
  /** HTTP_BODY_TIMEOUT_MS: the whole body must arrive within this after the headers (0: off). */
  bodyTimeoutMs: number;
  /** Told of each connection cut (for the metric). */
  onTimeout: (kind: ConnectionTimeout) => void;
}

/** What a body that arrives too slowly fails with: a client error Fastify passes on as 408. */
export class BodyTimeoutError extends Error {
  readonly statusCode = 408;
  readonly code = 'THREAT_EXCHANGE_BODY_TIMEOUT';

  constructor(
    message: string,
    /** The limit the problem names: HTTP_BODY_TIMEOUT_MS. */
    readonly limit: { name: string; value: number },
  ) {
    super(message);
  }
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Slow clients cannot hold a connection: a socket silent for HTTP_IDLE_TIMEOUT_MS (Fastify's
 * `connectionTimeout`, set where the adapter is created) is destroyed, unless the service
 * itself is still working on its answer; a request body still incomplete HTTP_BODY_TIMEOUT_MS
 * after its headers fails with 408 (problem+json, through the exception filter) and
 * `Connection: close`, so the rest of it is never read.
 */
export function installTimeouts(fastify: FastifyInstance, options: TimeoutOptions): void {
  // Sockets whose request has arrived and whose answer is being computed (not yet sent).
  const working = new WeakSet<Socket>();
  fastify.addHook('preHandler', (request, _reply, done) => {
    working.add(request.raw.socket);
    done();
  });
  const idle = (request: { raw: { socket: Socket } }): void => {
    working.delete(request.raw.socket);
  };
  fastify.addHook('onSend', (request, _reply, payload, done) => {
    idle(request);
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, _reply, done) => {
    idle(request);
    done();
  });
  // With a listener, Node leaves the timed-out socket to it: destroy it, and count it. Silence
  // while the service computes a long answer is not the client's; unsent bytes waiting for a
  // client that stopped reading are.
  fastify.server.on('timeout', (socket: Socket) => {
    if (working.has(socket) && socket.writableLength === 0) return;
    options.onTimeout('idle');
    socket.destroy();
  });
  if (options.bodyTimeoutMs <= 0) return;
  const seconds = Math.round(options.bodyTimeoutMs / 100) / 10;
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    if (!hasBody(request.headers)) {
      done(null, payload);
      return;
    }
    const guarded = new PassThrough();
    // The handler reads the body's errors (its listener, or its iterator) once it reads the
    // body; a client that hangs up before then (a streamed import, while its job is recorded)
    // must not make this stream's error an uncaught exception that ends the process.
    guarded.on('error', () => undefined);
    const timer = setTimeout(() => {
      options.onTimeout('body');
      request.log.warn({ timeoutMs: options.bodyTimeoutMs }, 'request body timed out');
      void reply.header('connection', 'close');
      payload.unpipe(guarded);
      guarded.destroy(
        new BodyTimeoutError(`The request body did not arrive within ${seconds} s of its headers`, {
          name: 'request-body-time-ms',
          value: options.bodyTimeoutMs,
        }),
      );
    }, options.bodyTimeoutMs);
    timer.unref();
    const settle = (): void => clearTimeout(timer);
    payload.once('end', settle);
    payload.once('close', settle);
    guarded.once('close', settle);
    payload.once('error', (error) => {
      settle();
      guarded.destroy(error);
    });
    payload.pipe(guarded);
    done(null, guarded);
  });
}
