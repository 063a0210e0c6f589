import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Factories } from '#test/support/factories.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * An import holds a database connection while it lasts: a cap on imports at once per instance,
 * and an upload that stalls is failed rather than held forever.
 */
describe('bulk import: concurrency cap and stalled uploads', () => {
  let t: TestApp;
  let token: string;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({ env: { IMPORT_MAX_CONCURRENT: '1', IMPORT_IDLE_TIMEOUT_S: '1' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    token = (await new Factories(t.app).loginAs('analyst')).token;
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 429 while the cap is reached, and 408 to an upload that stalls', async () => {
    // A chunked upload that sends one line, then nothing.
    const stalled = new Promise<{
      status: number;
      connection: string | undefined;
      body: Record<string, unknown>;
    }>((resolve, reject) => {
      const req = http.request(
        {
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/api/v1/imports',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            // The upload was never finished: drop the connection, as a stalled client would.
            req.destroy();
            resolve({
              connection: res.headers.connection,
              status: res.statusCode ?? 0,
              body: JSON.parse(text) as Record<string, unknown>,
            });
          });
        },
      );
      req.on('error', reject);
      req.write('stalled-upload-first-line.com\n');
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const busy = await request(t.server)
      .post('/api/v1/imports')
      .set('authorization', `Bearer ${token}`)
      .set('content-type', 'text/plain')
      .send('another.com\n')
      .expect(429);
    expect(busy.headers['retry-after']).toBe('30');
    expect(busy.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(busy.body).toMatchObject({
      limit: 'imports-per-instance',
      limitValue: 1,
      retryAfter: 30,
    });

    const timedOut = await stalled;
    expect(timedOut.status).toBe(408);
    expect(timedOut.connection).toBe('close');
    expect(String(timedOut.body.detail)).toMatch(/sent nothing for 1 s/);
    expect(timedOut.body).toMatchObject({ limit: 'import-idle-seconds', limitValue: 1 });
    const jobs = await request(t.server)
      .get('/api/v1/imports?limit=5')
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    const failed = (
      jobs.body.items as { status: string; error: string | null; progress: { rowsRead: number } }[]
    )[0];
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.error).toMatch(/sent nothing/);
    const [row] = await t.app
      .get(DataSource)
      .query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM indicators WHERE value = 'stalled-upload-first-line.com'`,
      );
    expect(row.n).toBe(0);

    // The slot is free again.
    await request(t.server)
      .post('/api/v1/imports')
      .set('authorization', `Bearer ${token}`)
      .set('content-type', 'text/plain')
      .send('')
      .expect(202);
  });
});
