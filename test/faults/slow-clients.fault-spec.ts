import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import request from 'supertest';
import { adminClient, listening, metric, waitFor } from '#test/support/faults.js';
import { ProbeModule } from '#test/support/probe.module.js';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const BODY_TIMEOUT_MS = 2000;
const IDLE_TIMEOUT_MS = 1500;
const SEND_TIMEOUT_MS = 2000;

/** A raw connection and everything it has received so far. */
function rawConnection(port: number): {
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
} {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed };
}

/**
 * Clients that hold a connection by being slow: a body at 1 byte/s, a socket that says
 * nothing, a snapshot reader that stops reading. Each is cut within its timeout, counted in
 * http_timeouts_total, and the others are served meanwhile.
 */
describe('slow clients', () => {
  let t: TestApp;
  let port: number;
  let admin: pg.Client;

  beforeAll(async () => {
    t = await createTestApp({
      extraImports: [ProbeModule],
      env: {
        HTTP_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
        HTTP_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
      },
    });
    ({ port } = await listening(t));
    admin = await adminClient();
  });
  afterAll(async () => {
    await admin.end();
    await t.close();
  });

  const metrics = async (): Promise<string> =>
    (await request(t.server).get('/metrics').expect(200)).text;

  it('answers a body sent at 1 byte/s with 408 problem+json and closes the connection', async () => {
    const before = metric(await metrics(), 'http_timeouts_total', 'kind="body"');
    const { socket, received, closed } = rawConnection(port);
    const body = JSON.stringify({ email: 'slow@test.example', password: 'x'.repeat(100) });
    socket.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n' +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const started = Date.now();
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < body.length && !socket.destroyed) socket.write(body[sent++]);
    }, 1000);
    try {
      const end = await closed;
      const elapsed = end - started;
      // Cut within the timeout (plus a second of slack for a loaded machine), not after the
      // ~130 s the body would take.
      expect(elapsed).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 100);
      expect(elapsed).toBeLessThan(BODY_TIMEOUT_MS + 1500);
      expect(sent).toBeLessThan(5);
      const response = received();
      expect(response).toMatch(/^HTTP\/1\.1 408 /);
      expect(response).toMatch(/\r\ncontent-type: application\/problem\+json/i);
      expect(response).toMatch(/\r\nconnection: close/i);
      const problem = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<
        string,
        unknown
      >;
      expect(problem).toMatchObject({
        status: 408,
        limit: 'request-body-time-ms',
        limitValue: BODY_TIMEOUT_MS,
      });
      expect(problem.detail).toBe('The request body did not arrive within 2 s of its headers');
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    expect(metric(await metrics(), 'http_timeouts_total', 'kind="body"')).toBe(before + 1);
    // Others were never held up.
    await request(t.server).get('/health/ready').expect(200);
  });

  it('closes a connection that sends nothing', async () => {
    const before = metric(await metrics(), 'http_timeouts_total', 'kind="idle"');
    const { socket, received, closed } = rawConnection(port);
    const started = Date.now();
    socket.write('GET /health/live HTTP/1.1\r\nHost: local'); // and then nothing
    const elapsed = (await closed) - started;
    expect(elapsed).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 100);
    expect(elapsed).toBeLessThan(IDLE_TIMEOUT_MS + 1500);
    expect(received()).toBe('');
    expect(metric(await metrics(), 'http_timeouts_total', 'kind="idle"')).toBeGreaterThan(before);
  });

  it('does not cut a client waiting for an answer that takes longer than the idle timeout', async () => {
    const res = await fetch(
      `http://127.0.0.1:${port}/api/v1/__probe/slow?ms=${IDLE_TIMEOUT_MS + 1000}`,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
  });
});

describe('a snapshot client that stops reading', () => {
  let t: TestApp;
  let port: number;
  let admin: pg.Client;

  beforeAll(async () => {
    // The idle timeout (60 s by default) is not what cuts it here: the send timeout is.
    t = await createTestApp({ env: { HTTP_SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS) } });
    ({ port } = await listening(t));
    admin = await adminClient();
  });
  afterAll(async () => {
    await admin.end();
    await t.close();
  });

  const metrics = async (): Promise<string> =>
    (await request(t.server).get('/metrics').expect(200)).text;

  it('cuts a snapshot whose client stops reading, and releases its connection and transaction', async () => {
    const flow = new RequestFlow(t.app, await departmentStaff(t.app));
    const [slow, other] = [await isp(t.app), await isp(t.app)];
    // Enough to fill the socket buffers between the service and a client that reads nothing
    // (a few MB as STIX), so that the COPY itself is held back.
    const values = Array.from({ length: 25000 }, () => unprotected.domain());
    await flow.publish([slow.org.id, other.org.id], values);
    const before = metric(await metrics(), 'http_timeouts_total', 'kind="send"');

    // Backends of snapshots (the query text is cut before the organization id: those that
    // were not there before are this one's).
    const snapshotBackends = async (): Promise<number[]> =>
      (
        await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = 'threat-exchange-snapshot'`,
        )
      ).rows.map((r) => r.pid);
    const others = new Set(await snapshotBackends());
    let mine: number[] = [];

    const { socket, received, closed } = rawConnection(port);
    socket.write(
      'GET /api/v1/feed/snapshot.stix HTTP/1.1\r\nHost: localhost\r\n' +
        `Authorization: Bearer ${slow.token}\r\n\r\n`,
    );
    await waitFor(() => received().startsWith('HTTP/1.1 200'), 'the snapshot to start');
    socket.pause(); // reads nothing more
    const paused = Date.now();
    await waitFor(async () => {
      mine = (await snapshotBackends()).filter((pid) => !others.has(pid));
      return mine.length === 1;
    }, 'the snapshot backend');

    // Meanwhile another ISP gets its whole snapshot.
    const res = await request(t.server)
      .get('/api/v1/feed/snapshot.txt')
      .set('authorization', `Bearer ${other.token}`)
      .expect(200);
    expect(res.text.split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(values.length);

    // Within the send timeout (checked every 200 ms here), plus slack: the backend is gone,
    // its transaction with it.
    await waitFor(
      async () => !(await snapshotBackends()).includes(mine[0]),
      'the snapshot backend to go',
      SEND_TIMEOUT_MS + 3000,
    );
    const releasedAfter = Date.now() - paused;
    expect(releasedAfter).toBeGreaterThanOrEqual(SEND_TIMEOUT_MS - 100);
    expect(releasedAfter).toBeLessThan(SEND_TIMEOUT_MS + 2000);
    socket.resume();
    await closed; // the service closed the connection (the body never ends)
    expect(metric(await metrics(), 'http_timeouts_total', 'kind="send"')).toBe(before + 1);
    expect(
      t.logs.lines.some((l) =>
        String(l.msg).includes(`Snapshot of organization ${slow.org.id} cut`),
      ),
    ).toBe(true);
    // The slot is free again: the same ISP is served in full.
    const again = await request(t.server)
      .get('/api/v1/feed/snapshot.txt')
      .set('authorization', `Bearer ${slow.token}`)
      .expect(200);
    expect(again.text.split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(
      values.length,
    );
    process.stdout.write(`[faults] slow snapshot reader released after ${releasedAfter} ms\n`);
  }, 60000);
});
