import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { OutboxService } from '#src/messaging/outbox/outbox.service.js';
import { WebhookWorker } from '#src/messaging/webhooks/webhook-worker.js';
import { adminClient, killWhileBlocked } from '#test/support/faults.js';
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

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push({ id: req.headers['webhook-id'] as string | undefined, at: Date.now() });
        res.writeHead(200).end('ok');
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
        WEBHOOK_TIMEOUT_MS: '2000',
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
    await worker.dispatchOnce();

    const { killedAt } = await killWhileBlocked({
      admin,
      // recordAttempt locks the delivery row, then inserts the attempt: it stops there.
      table: 'webhook_attempts',
      mode: 'EXCLUSIVE',
      ports: proxy.upstreamPorts,
      trigger: () => worker.deliverOnce().catch((error: unknown) => error),
    });
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
