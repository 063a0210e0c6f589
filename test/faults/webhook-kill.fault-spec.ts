import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { OutboxService } from '#src/messaging/outbox/outbox.service.js';
import { WebhookWorker } from '#src/messaging/webhooks/webhook-worker.js';
import { adminClient, waitFor } from '#test/support/faults.js';
import { isp } from '#test/support/requests.js';
import { testDatabaseUrl } from '#test/support/database-urls.js';
import { TcpProxy } from '#test/support/tcp-proxy.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * A webhook delivery whose result cannot be recorded (the worker's backend killed after the
 * POST, while it writes the attempt): nothing half-written (no attempt row without its
 * delivery's update), the delivery is not lost: once its lease ends it is sent again with the
 * same `webhook-id` (at least once; receivers deduplicate by it) and recorded once.
 */
describe('a webhook delivery killed while its attempt is recorded', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let admin: pg.Client;
  let receiver: Server;
  const received: { id: string | undefined; at: number }[] = [];
  /** The receiver holds its first answer until the test opens this. */
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push({ id: req.headers['webhook-id'] as string | undefined, at: Date.now() });
        void gate.then(() => res.writeHead(200).end('ok'));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const through = await TcpProxy.forUrl(testDatabaseUrl());
    proxy = through.proxy;
    t = await createTestApp({
      databaseUrl: through.url,
      env: {
        DB_CONNECT_TIMEOUT_MS: '1000',
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOWED_PRIVATE_CIDRS: '127.0.0.0/8',
        WEBHOOK_POLL_INTERVAL_MS: '0',
        WEBHOOK_TIMEOUT_MS: '5000',
      },
    });
    admin = await adminClient();
  });
  afterAll(async () => {
    await admin.end();
    await t.close();
    await proxy.down();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('is sent again after its lease with the same id, and recorded once', async () => {
    const { org, token } = await isp(t.app);
    const { port } = receiver.address() as AddressInfo;
    const sub = await request(t.server)
      .post('/api/v1/webhooks')
      .set('authorization', `Bearer ${token}`)
      .send({ url: `http://127.0.0.1:${port}/hook`, events: ['request.published'] })
      .expect(201);
    const ds = t.app.get(DataSource);
    await t.app.get(OutboxService).enqueue(ds, {
      topic: 'request.published',
      aggregateId: null,
      payload: { n: 1 },
      recipients: [org.id],
    });
    const worker = t.app.get(WebhookWorker);
    // Every message waiting in the outbox (no instance dispatches under NODE_ENV=test: earlier
    // suites' messages are there too), this one included.
    while ((await worker.dispatchOnce()).dispatched > 0);

    // The worker POSTs (the receiver holds its answer), the test locks the delivery's row,
    // the receiver answers: the worker's record waits on the row and its backend is killed.
    // (The shared database holds other suites' deliveries, which this worker may attempt too:
    // only the backend blocked by this row lock is killed.)
    const delivering = worker.deliverOnce().catch((error: unknown) => error);
    await waitFor(() => received.length === 1, 'the POST to arrive');
    await admin.query('BEGIN');
    await admin.query(`SELECT id FROM webhook_deliveries WHERE subscription_id = $1 FOR UPDATE`, [
      sub.body.id,
    ]);
    open();
    const adminPid = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
      .pid;
    let blocked: number | undefined;
    await waitFor(async () => {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE client_port = ANY($1::int[]) AND $2::int = ANY(pg_blocking_pids(pid))`,
        [[...proxy.upstreamPorts], adminPid],
      );
      blocked = rows[0]?.pid;
      return blocked !== undefined;
    }, 'the record of the attempt to wait on the row');
    await admin.query('SELECT pg_terminate_backend($1)', [blocked]);
    const killedAt = Date.now();
    await admin.query('COMMIT');
    await delivering;
    expect(received).toHaveLength(1); // it was sent; its result was not recorded
    const state = async () =>
      (
        await ds.query<{ status: string; attempts: number; rows: number }[]>(
          `SELECT d.status, d.attempts,
                  (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS rows
             FROM webhook_deliveries d WHERE d.subscription_id = $1`,
          [sub.body.id],
        )
      )[0];
    // Nothing half-written: no attempt row, the delivery still pending under its lease.
    expect(await state()).toEqual({ status: 'pending', attempts: 0, rows: 0 });

    // The lease (WEBHOOK_TIMEOUT_MS + 30 s) runs out: here, at once.
    await admin.query(
      `UPDATE webhook_deliveries SET locked_until = now() - interval '1 second'
        WHERE subscription_id = $1`,
      [sub.body.id],
    );
    await worker.deliverOnce();
    expect(await state()).toEqual({ status: 'succeeded', attempts: 1, rows: 1 });
    expect(received).toHaveLength(2);
    expect(received[1].id).toBeDefined();
    expect(received[1].id).toBe(received[0].id);
    process.stdout.write(
      `[faults] webhook delivery killed while recorded: ${JSON.stringify({
        sends: received.length,
        recorded: 1,
        lost: 0,
        redeliveredMsAfterKillOnceLeaseEnded: received[1].at - killedAt,
      })}\n`,
    );
  });
});
