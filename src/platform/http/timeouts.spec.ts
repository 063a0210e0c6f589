import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { installTimeouts } from '#src/platform/http/timeouts.js';

describe('installTimeouts: the guarded request body', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
  });

  it('a client that hangs up before the handler reads the body is no uncaught exception', async () => {
    app = Fastify();
    installTimeouts(app, { bodyTimeoutMs: 10_000, onTimeout: () => undefined });
    // A streaming route (like the bulk import): the body is handed over unread.
    app.addContentTypeParser('text/plain', (_request, payload, done) => done(null, payload));
    let seen: { destroyed: boolean; errored: string | undefined } | undefined;
    app.post('/upload', async (request) => {
      // The handler is busy (recording the job) when the client goes away.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const body = request.body as Readable;
      seen = { destroyed: body.destroyed, errored: body.errored?.message };
      return 'ok';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    process.prependListener('uncaughtException', onUncaught);
    try {
      const req = http.request({
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/upload',
        headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' },
      });
      req.on('error', () => undefined);
      req.write('first line\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      req.destroy();
      await new Promise((resolve) => setTimeout(resolve, 600));
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    // The handler sees a body that ended in error, and can fail its work at once.
    expect(seen).toEqual({ destroyed: true, errored: 'aborted' });
  });
});
