import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  createSecureContext,
  createServer as createTlsServer,
  type Server as TlsServer,
} from 'node:tls';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { OutboxService, type EventType } from '#src/messaging/outbox/outbox.service.js';
import { ManualClock } from '#src/platform/clock/clock.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { WebhookResolver } from '#src/messaging/webhooks/webhook-url-guard.js';
import { WebhookWorker } from '#src/messaging/webhooks/webhook-worker.js';
import { WebhooksRepository } from '#src/messaging/webhooks/webhooks.repository.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, isp, RequestFlow, status, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from '#test/support/tls-fixture.js';

type Verify = (
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  options?: { toleranceSeconds?: number; now?: number },
) => { id: string; event: { type: string; timestamp: string; data: Record<string, unknown> } };

/** The documented sample (docs/examples/verify-webhook.js), imported as is. */
const { verifyWebhook } = (await import(
  pathToFileURL(path.join(PROJECT_ROOT, 'docs', 'examples', 'verify-webhook.js')).href
)) as { verifyWebhook: Verify };

const BASE_MS = 1000;
const CAP_MS = 8000;
const MAX_ATTEMPTS = 4;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Which of the path's secrets verified the signature (with the documented sample). */
  verifiedWith: string[];
  id?: string;
  event?: { type: string; data: Record<string, unknown> };
}

/**
 * A webhook receiver on loopback. Each path answers as told (default 200) after verifying
 * the signature with the secrets registered for it: no valid signature, 401.
 */
class Receiver {
  readonly received: Received[] = [];
  readonly secrets = new Map<string, string[]>();
  readonly answers = new Map<string, (n: number) => { status: number; location?: string }>();
  private server!: Server;
  port = 0;

  constructor(private readonly clock: ManualClock) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const pathname = (req.url ?? '').split('?')[0];
        const entry: Received = { path: pathname, headers: req.headers, body, verifiedWith: [] };
        for (const secret of this.secrets.get(pathname) ?? []) {
          try {
            const { id, event } = verifyWebhook(secret, req.headers, body, {
              now: this.clock.now().getTime(),
            });
            entry.verifiedWith.push(secret);
            entry.id = id;
            entry.event = event;
          } catch {
            // not this secret
          }
        }
        this.received.push(entry);
        const n = this.received.filter((r) => r.path === pathname).length;
        const answer = this.answers.get(pathname)?.(n) ?? { status: 200 };
        if (entry.verifiedWith.length === 0) answer.status = 401;
        res.writeHead(answer.status, answer.location ? { location: answer.location } : {});
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(pathname: string): string {
    return `http://127.0.0.1:${this.port}${pathname}`;
  }

  at(pathname: string): Received[] {
    return this.received.filter((r) => r.path === pathname);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const ENV = {
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOWED_PRIVATE_CIDRS: '127.0.0.0/8',
  WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  WEBHOOK_RETRY_BASE_MS: String(BASE_MS),
  WEBHOOK_RETRY_CAP_MS: String(CAP_MS),
  WEBHOOK_TIMEOUT_MS: '5000',
  WEBHOOK_BATCH_SIZE: '20',
  WEBHOOK_POLL_INTERVAL_MS: '0',
  // These tests drive the worker by hand, one round at a time, with one organization's
  // deliveries (and earlier tests' retries) due together: the bound per organization is tested
  // on its own, below.
  WEBHOOK_MAX_IN_FLIGHT_PER_ORGANIZATION: '50',
};

describe('webhooks: subscriptions, signed deliveries, retries, dead letters, SSRF', () => {
  const clock = new ManualClock();
  let t: TestApp;
  let db: DataSource;
  let worker: WebhookWorker;
  let receiver: Receiver;
  let ispA: { org: { id: string }; token: string };
  let ispB: { org: { id: string }; token: string };
  let pathCounter = 0;

  const api = (method: 'get' | 'post' | 'patch' | 'delete', url: string, token: string) =>
    request(t.server)[method](`/api/v1${url}`).set('authorization', `Bearer ${token}`);

  /** A subscription of `owner` on a fresh receiver path; the receiver knows its secret. */
  const subscribe = async (
    owner: { token: string },
    events: EventType[] = ['request.published', 'assignment.reminder'],
  ): Promise<{ id: string; path: string; secret: string; version: number }> => {
    const pathname = `/hook-${++pathCounter}`;
    const res = await api('post', '/webhooks', owner.token)
      .send({ url: receiver.url(pathname), events, description: 'test receiver' })
      .expect(status(201));
    receiver.secrets.set(pathname, [res.body.secret as string]);
    return { id: res.body.id, path: pathname, secret: res.body.secret, version: res.body.version };
  };

  const enqueue = async (
    topic: EventType,
    recipients: string[],
    data: Record<string, unknown> = { n: 1 },
  ): Promise<void> => {
    await t.app
      .get(OutboxService)
      .enqueue(db, { topic, aggregateId: null, payload: data, recipients });
  };

  const deliveriesOf = async (subscriptionId: string, token = ispA.token) =>
    (await api('get', `/webhooks/${subscriptionId}/deliveries`, token).expect(status(200))).body
      .items as Record<string, unknown>[];

  beforeAll(async () => {
    receiver = new Receiver(clock);
    await receiver.start();
    t = await createTestApp({ clock, env: ENV });
    db = t.app.get(DataSource);
    worker = t.app.get(WebhookWorker);
    // Under NODE_ENV=test no instance dispatches the outbox by itself: the messages of every
    // test file that ran before on this database wait there. Dispatched now, so that a round
    // of this file (at most WEBHOOK_BATCH_SIZE × 20 messages) reaches its own.
    while ((await worker.dispatchOnce()).dispatched > 0);
    [ispA, ispB] = [await isp(t.app), await isp(t.app)];
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  describe('subscriptions', () => {
    it('shows the secret once (whsec_ + base64 of 32 bytes), stores it encrypted', async () => {
      const sub = await subscribe(ispA);
      expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(sub.secret.slice(6), 'base64')).toHaveLength(32);
      const got = await api('get', `/webhooks/${sub.id}`, ispA.token).expect(status(200));
      expect(got.body).not.toHaveProperty('secret');
      expect(got.body).toMatchObject({
        id: sub.id,
        organizationId: ispA.org.id,
        url: receiver.url(sub.path),
        events: ['request.published', 'assignment.reminder'],
        active: true,
        version: 1,
      });
      const list = await api('get', '/webhooks', ispA.token).expect(status(200));
      expect(JSON.stringify(list.body)).not.toContain(sub.secret.slice(6));
      const [row] = await db.query(
        `SELECT secret_encrypted FROM webhook_subscriptions WHERE id = $1`,
        [sub.id],
      );
      const key = Buffer.from(sub.secret.slice(6), 'base64');
      expect((row.secret_encrypted as Buffer).includes(key)).toBe(false);
      await t.sealAudit();
      const audit = await db.query(
        `SELECT action FROM audit_events WHERE object_id = $1 ORDER BY id`,
        [sub.id],
      );
      expect(audit).toEqual([{ action: 'webhook.create' }]);
    });

    it('refuses unsafe URLs at registration with 422 naming the reason', async () => {
      const cases: [string, string][] = [
        ['https://169.254.169.254/latest/meta-data', 'link-local'],
        ['https://[fd00:ec2::254]/latest/meta-data', 'unique-local'],
        ['https://100.100.100.200/', 'carrier-grade NAT'],
        ['http://10.0.0.1/hook', 'private'],
        ['https://[::ffff:192.168.1.1]/', 'private'],
        ['https://[64:ff9b::7f00:1]/', 'NAT64'],
        ['https://user:pw@example.com/', 'user name or password'],
        ['ftp://example.com/', 'scheme ftp'],
      ];
      for (const [url, reason] of cases) {
        const res = await api('post', '/webhooks', ispA.token).send({
          url,
          events: ['request.published'],
        });
        expect({ url, status: res.status, type: res.body.type }).toEqual({
          url,
          status: 422,
          type: 'urn:threat-exchange:problem:webhook-url-refused',
        });
        expect({ url, detail: res.body.detail }).toEqual({
          url,
          detail: expect.stringContaining(reason),
        });
      }
      const bad = await api('post', '/webhooks', ispA.token)
        .send({ url: receiver.url('/x'), events: ['request.exploded'] })
        .expect(status(400));
      expect(bad.body['invalid-params'][0].name).toBe('events');
    });

    it('updates with optimistic concurrency (409 on a stale version), pauses, deletes', async () => {
      const sub = await subscribe(ispA);
      const changed = await api('patch', `/webhooks/${sub.id}`, ispA.token)
        .send({ version: 1, events: ['request.withdrawn'], description: null })
        .expect(status(200));
      expect(changed.body).toMatchObject({
        version: 2,
        events: ['request.withdrawn'],
        description: null,
      });
      await api('patch', `/webhooks/${sub.id}`, ispA.token)
        .send({ version: 1, active: false })
        .expect(status(409));
      // A version beyond the column's range is the client's mistake (400), not a 500.
      await api('patch', `/webhooks/${sub.id}`, ispA.token)
        .send({ version: 3_000_000_000, active: false })
        .expect(status(400));
      await api('patch', `/webhooks/${sub.id}`, ispA.token)
        .send({ version: 2, url: 'https://10.1.1.1/x' })
        .expect(status(422));

      // Paused: the delivery waits.
      await api('patch', `/webhooks/${sub.id}`, ispA.token)
        .send({ version: 2, active: false })
        .expect(status(200));
      await enqueue('request.withdrawn', [ispA.org.id]);
      await worker.runOnce();
      expect(receiver.at(sub.path)).toHaveLength(0);
      const [pending] = await deliveriesOf(sub.id);
      expect(pending).toMatchObject({ status: 'pending', attempts: 0 });

      // Deleted: gone (404), its pending delivery stopped.
      await api('delete', `/webhooks/${sub.id}`, ispA.token).expect(status(204));
      await api('get', `/webhooks/${sub.id}`, ispA.token).expect(status(404));
      const [row] = await db.query(
        `SELECT status, last_error FROM webhook_deliveries WHERE subscription_id = $1`,
        [sub.id],
      );
      expect(row).toEqual({ status: 'dead', last_error: 'subscription deleted' });
      await t.sealAudit();
      const actions = await db.query(
        `SELECT action FROM audit_events WHERE object_id = $1 ORDER BY id`,
        [sub.id],
      );
      expect(actions.map((a: { action: string }) => a.action)).toEqual([
        'webhook.create',
        'webhook.update',
        'webhook.update',
        'webhook.delete',
      ]);
    });
  });

  describe('delivery', () => {
    it('is verified with the sample that docs/isp-integration.md shows verbatim', () => {
      const sample = readFileSync(
        path.join(PROJECT_ROOT, 'docs', 'examples', 'verify-webhook.js'),
        'utf8',
      );
      const guide = readFileSync(path.join(PROJECT_ROOT, 'docs', 'isp-integration.md'), 'utf8');
      expect(guide.includes(sample)).toBe(true);
    });

    it('delivers a signed event that the documented sample verifies, to subscribers only', async () => {
      const sub = await subscribe(ispA);
      const other = await subscribe(ispB);
      const unsubscribed = await subscribe(ispA, ['request.withdrawn']);
      await enqueue('assignment.reminder', [ispA.org.id], { assignmentId: 'a-1', hoursLeft: 2 });

      await worker.runOnce();
      const [got] = receiver.at(sub.path);
      expect(receiver.at(sub.path)).toHaveLength(1);
      expect(receiver.at(other.path)).toHaveLength(0);
      expect(receiver.at(unsubscribed.path)).toHaveLength(0);

      expect(got.verifiedWith).toEqual([sub.secret]);
      expect(got.headers['content-type']).toBe('application/json');
      expect(got.headers['webhook-timestamp']).toBe(
        String(Math.floor(clock.now().getTime() / 1000)),
      );
      expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      const body = JSON.parse(got.body.toString('utf8'));
      expect(Object.keys(body)).toEqual(['type', 'timestamp', 'data']);
      expect(body).toEqual({
        type: 'assignment.reminder',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        data: { assignmentId: 'a-1', hoursLeft: 2 },
      });
      // The sample refuses a tampered body and a stale timestamp.
      expect(() =>
        verifyWebhook(sub.secret, got.headers, Buffer.from(got.body.toString().replace('2', '3')), {
          now: clock.now().getTime(),
        }),
      ).toThrow('no valid signature');
      expect(() =>
        verifyWebhook(sub.secret, got.headers, got.body, {
          now: clock.now().getTime() + 600_000,
        }),
      ).toThrow('tolerance');

      const [delivery] = await deliveriesOf(sub.id);
      expect(delivery).toMatchObject({
        id: got.headers['webhook-id'],
        status: 'succeeded',
        attempts: 1,
        lastStatus: 200,
        lastError: null,
        nextAttemptAt: null,
      });
      const detail = await api(
        'get',
        `/webhooks/deliveries/${delivery.id as string}`,
        ispA.token,
      ).expect(status(200));
      expect(detail.body.payload).toEqual(body);
      expect(detail.body.attemptLog).toEqual([
        expect.objectContaining({ attempt: 1, responseStatus: 200, error: null }),
      ]);
    });

    it('retries with backoff (same webhook-id) until the receiver accepts', async () => {
      const sub = await subscribe(ispA);
      receiver.answers.set(sub.path, (n) => ({ status: n <= 2 ? 503 : 204 }));
      await enqueue('request.published', [ispA.org.id]);

      for (let round = 1; round <= 3; round++) {
        const before = clock.now().getTime();
        await worker.runOnce();
        const [d] = await deliveriesOf(sub.id);
        if (round < 3) {
          expect(d).toMatchObject({ status: 'pending', attempts: round, lastStatus: 503 });
          const delay = new Date(d.nextAttemptAt as string).getTime() - before;
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.min(CAP_MS, BASE_MS * 2 ** (round - 1)));
          // Not due before its time (unless the jitter drew 0).
          if (delay > 0) {
            await worker.runOnce();
            expect(receiver.at(sub.path)).toHaveLength(round);
          }
          clock.advance(CAP_MS);
        } else {
          expect(d).toMatchObject({ status: 'succeeded', attempts: 3, lastStatus: 204 });
        }
      }
      const ids = new Set(receiver.at(sub.path).map((r) => r.headers['webhook-id']));
      expect(ids.size).toBe(1);
    });

    it('dead-letters after the last attempt, shows it, and a manual redelivery succeeds', async () => {
      const sub = await subscribe(ispA);
      let failing = true;
      receiver.answers.set(sub.path, () => ({ status: failing ? 500 : 200 }));
      await enqueue('request.published', [ispA.org.id]);
      for (let i = 0; i < MAX_ATTEMPTS; i++) {
        await worker.runOnce();
        clock.advance(CAP_MS);
      }
      await worker.runOnce(); // nothing more: it is dead
      expect(receiver.at(sub.path)).toHaveLength(MAX_ATTEMPTS);

      const dead = await api(
        'get',
        `/webhooks/${sub.id}/deliveries?status=dead`,
        ispA.token,
      ).expect(status(200));
      expect(dead.body.items).toHaveLength(1);
      expect(dead.body.items[0]).toMatchObject({
        status: 'dead',
        attempts: MAX_ATTEMPTS,
        lastStatus: 500,
        lastError: 'HTTP 500',
      });
      const pendingList = await api(
        'get',
        `/webhooks/${sub.id}/deliveries?status=pending`,
        ispA.token,
      ).expect(status(200));
      expect(pendingList.body.items).toEqual([]);
      const id = dead.body.items[0].id as string;
      const detail = await api('get', `/webhooks/deliveries/${id}`, ispA.token).expect(status(200));
      expect(detail.body.attemptLog.map((a: { attempt: number }) => a.attempt)).toEqual([
        1, 2, 3, 4,
      ]);
      expect(
        detail.body.attemptLog.every((a: { responseStatus: number }) => a.responseStatus === 500),
      ).toBe(true);
      // Each attempt has its log line.
      const lines = t.logs.lines.filter((l) => String(l.msg).includes(`webhook delivery ${id} `));
      expect(lines).toHaveLength(MAX_ATTEMPTS);
      expect(String(lines.at(-1)!.msg)).toContain('dead-lettered');

      failing = false;
      const again = await api('post', `/webhooks/deliveries/${id}/redeliver`, ispA.token).expect(
        status(200),
      );
      expect(again.body).toMatchObject({ status: 'pending', attempts: 0, deadAt: null });
      await api('post', `/webhooks/deliveries/${id}/redeliver`, ispA.token).expect(status(409));
      await worker.runOnce();
      const done = await api('get', `/webhooks/deliveries/${id}`, ispA.token).expect(status(200));
      expect(done.body).toMatchObject({ status: 'succeeded', attempts: 1, lastStatus: 200 });
      expect(done.body.attemptLog).toHaveLength(MAX_ATTEMPTS + 1);
      expect(receiver.at(sub.path).at(-1)!.headers['webhook-id']).toBe(id);
      await t.sealAudit();
      const audit = await db.query(
        `SELECT action, summary FROM audit_events WHERE object_id = $1 ORDER BY seq`,
        [id],
      );
      expect(audit).toEqual([
        {
          action: 'webhook_delivery.dead',
          summary: {
            subscriptionId: sub.id,
            eventType: 'request.published',
            from: 'pending',
            to: 'dead',
            attempts: MAX_ATTEMPTS,
            lastStatus: 500,
            lastError: 'HTTP 500',
          },
        },
        {
          action: 'webhook_delivery.redeliver',
          summary: {
            subscriptionId: sub.id,
            previousStatus: 'dead',
            previousAttempts: MAX_ATTEMPTS,
          },
        },
      ]);
    });

    it('never follows a redirect: a 3xx is a failed attempt', async () => {
      const sub = await subscribe(ispA);
      const target = `/redirect-target-${pathCounter}`;
      receiver.answers.set(sub.path, () => ({ status: 302, location: receiver.url(target) }));
      await enqueue('request.published', [ispA.org.id]);
      await worker.runOnce();
      const [d] = await deliveriesOf(sub.id);
      expect(d).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 302 });
      expect(d.lastError).toContain('redirect refused');
      expect(receiver.at(target)).toHaveLength(0);
      await api('delete', `/webhooks/${sub.id}`, ispA.token).expect(status(204));
    });

    it('signs with both secrets during the rotation overlap, then with the new one only', async () => {
      const sub = await subscribe(ispA);
      const rotated = await api('post', `/webhooks/${sub.id}/rotate-secret`, ispA.token).expect(
        status(200),
      );
      const fresh = rotated.body.secret as string;
      expect(fresh).not.toBe(sub.secret);
      expect(new Date(rotated.body.previousSecretExpiresAt).getTime()).toBe(
        clock.now().getTime() + 24 * 3600_000,
      );
      receiver.secrets.set(sub.path, [sub.secret, fresh]);

      // A second rotation within the overlap is refused: it would drop the original secret,
      // which the receiver may still be the only one to have.
      const again = await api('post', `/webhooks/${sub.id}/rotate-secret`, ispA.token).expect(
        status(409),
      );
      expect(again.body.type).toBe('urn:threat-exchange:problem:invalid-state');

      await enqueue('request.published', [ispA.org.id]);
      await worker.runOnce();
      const during = receiver.at(sub.path)[0];
      expect((during.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
      expect(during.verifiedWith.sort()).toEqual([sub.secret, fresh].sort());

      clock.advance(24 * 3600_000 + 1000);
      await enqueue('request.published', [ispA.org.id]);
      await worker.runOnce();
      const after = receiver.at(sub.path)[1];
      expect((after.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
      expect(after.verifiedWith).toEqual([fresh]);

      // Once the overlap is over, rotating again is fine.
      await api('post', `/webhooks/${sub.id}/rotate-secret`, ispA.token).expect(status(200));
    });

    it('checks the address again at delivery: a name that turns private fails the attempt', async () => {
      const resolver = t.app.get(WebhookResolver);
      const answers = new Map<string, string>([['hooks.isp-a.example', '127.0.0.1']]);
      const spy = jest
        .spyOn(resolver, 'lookup')
        .mockImplementation(async (host) => [
          { address: answers.get(host) ?? '203.0.113.1', family: 4 },
        ]);
      try {
        const pathname = `/hook-${++pathCounter}`;
        const res = await api('post', '/webhooks', ispA.token)
          .send({
            url: `http://hooks.isp-a.example:${receiver.port}${pathname}`,
            events: ['request.published'],
          })
          .expect(status(201));
        receiver.secrets.set(pathname, [res.body.secret]);

        // Connected to the vetted address, with Host = the name.
        await enqueue('request.published', [ispA.org.id]);
        await worker.runOnce();
        expect(receiver.at(pathname)).toHaveLength(1);
        expect(receiver.at(pathname)[0].headers.host).toBe(`hooks.isp-a.example:${receiver.port}`);

        answers.set('hooks.isp-a.example', '10.20.30.40');
        await enqueue('request.published', [ispA.org.id]);
        await worker.runOnce();
        expect(receiver.at(pathname)).toHaveLength(1);
        const items = await deliveriesOf(res.body.id);
        const failed = items.find((d) => d.status === 'pending')!;
        expect(failed.lastError).toContain('refused (SSRF protection)');
        expect(failed.lastError).toContain('10.20.30.40 is private');
        await api('delete', `/webhooks/${res.body.id}`, ispA.token).expect(status(204));
      } finally {
        spy.mockRestore();
      }
    });

    it('delivers request.published to the target ISP’s subscription and not to another ISP’s', async () => {
      const subA = await subscribe(ispA, ['request.published']);
      const subB = await subscribe(ispB, ['request.published']);
      // Publication compares validFrom (set by the database) with the clock.
      clock.set(new Date(Date.now() + 60_000));
      const flow = new RequestFlow(t.app, await departmentStaff(t.app));
      const published = await flow.publish([ispA.org.id], [unprotected.domain()]);
      await worker.runOnce();
      expect(receiver.at(subB.path)).toHaveLength(0);
      const [got] = receiver.at(subA.path);
      expect(got.verifiedWith).toEqual([subA.secret]);
      expect(got.event).toMatchObject({
        type: 'request.published',
        data: { requestId: published.id, documentNumber: published.documentNumber },
      });
      expect(JSON.stringify(got.event)).not.toContain(ispB.org.id);
    });
  });

  describe('access', () => {
    it('hides another organization’s subscriptions and deliveries (404); auditors read all', async () => {
      const sub = await subscribe(ispA);
      await enqueue('request.published', [ispA.org.id]);
      await worker.runOnce();
      const [delivery] = await deliveriesOf(sub.id);
      const admin = (await new Factories(t.app).loginAs('admin')).token;
      for (const token of [ispB.token, admin]) {
        await api('get', `/webhooks/${sub.id}`, token).expect(status(404));
        await api('get', `/webhooks/${sub.id}/deliveries`, token).expect(status(404));
        await api('get', `/webhooks/deliveries/${delivery.id as string}`, token).expect(
          status(404),
        );
        await api('post', `/webhooks/deliveries/${delivery.id as string}/redeliver`, token).expect(
          status(404),
        );
        await api('patch', `/webhooks/${sub.id}`, token)
          .send({ version: 1, active: false })
          .expect(status(404));
        await api('post', `/webhooks/${sub.id}/rotate-secret`, token).expect(status(404));
        await api('delete', `/webhooks/${sub.id}`, token).expect(status(404));
        const list = await api('get', '/webhooks?limit=200', token).expect(status(200));
        expect(JSON.stringify(list.body)).not.toContain(sub.id);
      }
      const auditor = (await new Factories(t.app).loginAs('auditor')).token;
      await api('get', `/webhooks/${sub.id}`, auditor).expect(status(200));
      await api('get', `/webhooks/deliveries/${delivery.id as string}`, auditor).expect(
        status(200),
      );
      await api('post', `/webhooks/deliveries/${delivery.id as string}/redeliver`, auditor).expect(
        status(403),
      );
      const unchanged = await api('get', `/webhooks/${sub.id}`, ispA.token).expect(status(200));
      expect(unchanged.body.version).toBe(1);
    });
  });
});

describe('webhooks: two instances deliver each message exactly once', () => {
  const clockOne = new ManualClock();
  const clockTwo = new ManualClock();
  let one: TestApp;
  let two: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = new Receiver(clockOne);
    await receiver.start();
    one = await createTestApp({ clock: clockOne, env: ENV });
    two = await createTestApp({ clock: clockTwo, env: ENV });
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    await receiver.stop();
  });

  it('200 messages, two workers on separate connections: each webhook-id arrives once', async () => {
    const { org, token } = await isp(one.app);
    const res = await request(one.server)
      .post('/api/v1/webhooks')
      .set('authorization', `Bearer ${token}`)
      .send({ url: receiver.url('/twice'), events: ['confirmation.received'] })
      .expect(status(201));
    receiver.secrets.set('/twice', [res.body.secret]);
    const outbox = one.app.get(OutboxService);
    const db = one.app.get(DataSource);
    await db.transaction(async (manager) => {
      for (let i = 0; i < 200; i++) {
        await outbox.enqueue(manager, {
          topic: 'confirmation.received',
          aggregateId: null,
          payload: { i },
          recipients: [org.id],
        });
      }
    });
    const now = new Date(Date.now() + 1000);
    clockOne.set(now);
    clockTwo.set(now);
    const workers = [one.app.get(WebhookWorker), two.app.get(WebhookWorker)];
    expect(workers[0].workerId).not.toBe(workers[1].workerId);
    const pending = async (): Promise<number> =>
      Number(
        (
          await db.query(
            `SELECT count(*) AS n FROM webhook_deliveries WHERE subscription_id = $1 AND status <> 'succeeded'`,
            [res.body.id],
          )
        )[0].n,
      );
    for (let round = 0; round < 30; round++) {
      await Promise.all(workers.map((w) => w.runOnce()));
      const [{ n }] = await db.query(
        `SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1`,
        [res.body.id],
      );
      if (n === 200 && (await pending()) === 0) break;
    }
    const got = receiver.at('/twice');
    expect(got.every((r) => r.verifiedWith.length === 1)).toBe(true);
    const ids = got.map((r) => r.headers['webhook-id'] as string);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    expect(new Set(got.map((r) => (r.event?.data as { i: number }).i)).size).toBe(200);
    // Each delivery has exactly one attempt, whichever worker made it.
    const byWorker = await db.query(
      `SELECT a.worker, count(*)::int AS n FROM webhook_attempts a
         JOIN webhook_deliveries d ON d.id = a.delivery_id
        WHERE d.subscription_id = $1 GROUP BY a.worker`,
      [res.body.id],
    );
    expect(byWorker.reduce((s: number, r: { n: number }) => s + r.n, 0)).toBe(200);
  });
});

describe('webhooks: https with the vetted address, certificates checked; timeouts', () => {
  const clock = new ManualClock();
  let t: TestApp;
  let tlsServer: TlsServer;
  let silent: Server;
  const servernames: string[] = [];

  beforeAll(async () => {
    tlsServer = createTlsServer({
      cert: SELF_SIGNED_CERT,
      key: SELF_SIGNED_KEY,
      SNICallback: (name, callback) => {
        servernames.push(name);
        callback(null, createSecureContext({ cert: SELF_SIGNED_CERT, key: SELF_SIGNED_KEY }));
      },
    });
    tlsServer.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    // Accepts connections and requests, never answers.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t = await createTestApp({ clock, env: { ...ENV, WEBHOOK_TIMEOUT_MS: '300' } });
    jest
      .spyOn(t.app.get(WebhookResolver), 'lookup')
      .mockImplementation(async () => [{ address: '127.0.0.1', family: 4 }]);
  });
  afterAll(async () => {
    await t.close();
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
  });

  const attemptOnce = async (url: string): Promise<Record<string, unknown>> => {
    const { org, token } = await isp(t.app);
    const res = await request(t.server)
      .post('/api/v1/webhooks')
      .set('authorization', `Bearer ${token}`)
      .send({ url, events: ['assignment.overdue'] })
      .expect(status(201));
    await t.app.get(OutboxService).enqueue(t.app.get(DataSource), {
      topic: 'assignment.overdue',
      aggregateId: null,
      payload: {},
      recipients: [org.id],
    });
    await t.app.get(WebhookWorker).runOnce();
    const list = await request(t.server)
      .get(`/api/v1/webhooks/${res.body.id}/deliveries`)
      .set('authorization', `Bearer ${token}`)
      .expect(status(200));
    return list.body.items[0] as Record<string, unknown>;
  };

  it('connects over TLS to the vetted address with SNI = the host name, and verifies the certificate', async () => {
    const port = (tlsServer.address() as AddressInfo).port;
    const delivery = await attemptOnce(`https://hooks.tls.example:${port}/hook`);
    expect(servernames).toContain('hooks.tls.example');
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null });
    expect(delivery.lastError).toMatch(/SELF_SIGNED|self-signed/i);
  });

  it('fails an attempt that gets no answer within WEBHOOK_TIMEOUT_MS', async () => {
    const port = (silent.address() as AddressInfo).port;
    const delivery = await attemptOnce(`http://hooks.slow.example:${port}/hook`);
    expect(delivery).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatus: null,
      lastError: 'no response within 300 ms',
    });
  });
});

describe('webhooks: one deadline per attempt, within the lease; every attempt recorded', () => {
  const clockOne = new ManualClock();
  const clockTwo = new ManualClock();
  let one: TestApp;
  let two: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = new Receiver(clockOne);
    await receiver.start();
    const env = { ...ENV, WEBHOOK_TIMEOUT_MS: '300' };
    one = await createTestApp({ clock: clockOne, env });
    two = await createTestApp({ clock: clockTwo, env });
    // Both resolve the receiver's name to loopback, until a test says otherwise.
    for (const app of [one, two]) {
      jest
        .spyOn(app.app.get(WebhookResolver), 'lookup')
        .mockImplementation(async () => [{ address: '127.0.0.1', family: 4 }]);
    }
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    await receiver.stop();
  });

  const subscribe = async (pathname: string): Promise<{ id: string; orgId: string }> => {
    const { org, token } = await isp(two.app);
    const res = await request(two.server)
      .post('/api/v1/webhooks')
      .set('authorization', `Bearer ${token}`)
      .send({
        url: `http://hooks.deadline.example:${receiver.port}${pathname}`,
        events: ['assignment.overdue'],
      })
      .expect(status(201));
    receiver.secrets.set(pathname, [res.body.secret]);
    await two.app.get(OutboxService).enqueue(two.app.get(DataSource), {
      topic: 'assignment.overdue',
      aggregateId: null,
      payload: {},
      recipients: [org.id],
    });
    await two.app.get(WebhookWorker).dispatchOnce();
    const now = new Date(Date.now() + 1000);
    clockOne.set(now);
    clockTwo.set(now);
    return { id: res.body.id as string, orgId: org.id };
  };

  it('a resolver that never answers fails the attempt at its deadline, inside the lease; no second send', async () => {
    const { id } = await subscribe('/dns-never');
    const db = one.app.get(DataSource);
    const workerOne = one.app.get(WebhookWorker);
    const workerTwo = two.app.get(WebhookWorker);
    const hang = jest
      .spyOn(one.app.get(WebhookResolver), 'lookup')
      .mockImplementation(() => new Promise<never>(() => undefined));
    try {
      const inFlight = workerOne.deliverOnce();
      // Wait until worker one holds the lease (its attempt is then stuck on DNS).
      let held: { lockedBy: string; covers: boolean }[] = [];
      for (let i = 0; i < 100 && held[0]?.lockedBy !== workerOne.workerId; i++) {
        held = await db.query(
          `SELECT locked_by AS "lockedBy",
                  locked_until > now() + interval '300 milliseconds' AS covers
             FROM webhook_deliveries WHERE subscription_id = $1`,
          [id],
        );
        if (held[0]?.lockedBy !== workerOne.workerId) await new Promise((r) => setTimeout(r, 10));
      }
      expect(held[0]).toEqual({ lockedBy: workerOne.workerId, covers: true });

      // The other instance does not take this delivery while the first attempt is in flight
      // (the attempts below are all worker one's).
      await workerTwo.deliverOnce();
      expect((await inFlight).attempted).toBeGreaterThanOrEqual(1);
    } finally {
      hang.mockImplementation(async () => [{ address: '127.0.0.1', family: 4 }]);
    }
    expect(receiver.at('/dns-never')).toHaveLength(0);
    const [delivery] = await db.query(
      `SELECT status, attempts, last_error AS "lastError", locked_by AS "lockedBy"
         FROM webhook_deliveries WHERE subscription_id = $1`,
      [id],
    );
    // Recorded by worker one (it still held the lease), with the reason.
    expect(delivery).toEqual({
      status: 'pending',
      attempts: 1,
      lockedBy: null,
      lastError: 'no response within 300 ms (deadline passed resolving the host: no DNS answer)',
    });
    const attempts = await db.query(
      `SELECT a.worker FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
        WHERE d.subscription_id = $1`,
      [id],
    );
    expect(attempts).toEqual([{ worker: workerOne.workerId }]);
  });

  it('records an attempt even when the lease was taken over, leaving the state to the new holder', async () => {
    const { id } = await subscribe('/taken-over');
    const db = one.app.get(DataSource);
    const repository = one.app.get(WebhooksRepository);
    const [[{ id: deliveryId }]] = await db.query(
      `UPDATE webhook_deliveries SET locked_by = 'someone-else', locked_until = now() + interval '1 minute'
        WHERE subscription_id = $1 RETURNING id`,
      [id],
    );
    const recorded = await db.transaction((manager) =>
      repository.recordAttempt(
        manager,
        {
          deliveryId,
          worker: 'late-worker',
          startedAt: clockOne.now(),
          durationMs: 12,
          responseStatus: 503,
          error: 'HTTP 503',
        },
        { status: 'pending', nextAttemptAt: clockOne.now() },
      ),
    );
    expect(recorded).toBe(false);
    const rows = await db.query(
      `SELECT attempt, worker, response_status AS "responseStatus", error
         FROM webhook_attempts WHERE delivery_id = $1`,
      [deliveryId],
    );
    expect(rows).toEqual([
      { attempt: 1, worker: 'late-worker', responseStatus: 503, error: 'HTTP 503' },
    ]);
    const [delivery] = await db.query(
      `SELECT attempts, locked_by AS "lockedBy" FROM webhook_deliveries WHERE id = $1`,
      [deliveryId],
    );
    expect(delivery).toEqual({ attempts: 0, lockedBy: 'someone-else' });
  });
});

describe('webhooks: one organization whose receiver hangs does not hold every lane', () => {
  const clock = new ManualClock(new Date(Date.now() + 60_000));
  let t: TestApp;
  let receiver: Receiver;
  let hanging: Server;
  /** Requests the hanging receiver got (it never answers them). */
  let hung = 0;

  beforeAll(async () => {
    receiver = new Receiver(clock);
    await receiver.start();
    hanging = createServer(() => {
      hung++;
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    t = await createTestApp({
      clock,
      env: {
        ...ENV,
        WEBHOOK_TIMEOUT_MS: '3000',
        WEBHOOK_CONCURRENCY: '4',
        WEBHOOK_BATCH_SIZE: '20',
        WEBHOOK_MAX_IN_FLIGHT_PER_ORGANIZATION: '2',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
    await receiver.stop();
  });

  it('another organization’s delivery goes at once; the hanging one holds 2 lanes', async () => {
    const db = t.app.get(DataSource);
    const outbox = t.app.get(OutboxService);
    const worker = t.app.get(WebhookWorker);
    const subscribeTo = async (token: string, url: string) =>
      (
        await request(t.server)
          .post('/api/v1/webhooks')
          .set('authorization', `Bearer ${token}`)
          .send({ url, events: ['assignment.overdue'] })
          .expect(status(201))
      ).body as { id: string; secret: string };
    const emit = (recipient: string, n: number) =>
      db.transaction(async (manager) => {
        for (let i = 0; i < n; i++) {
          await outbox.enqueue(manager, {
            topic: 'assignment.overdue',
            aggregateId: null,
            payload: { i },
            recipients: [recipient],
          });
        }
      });

    // The slow organization: its 10 subscriptions (the cap), all to a receiver that never
    // answers, 3 events each: 30 deliveries, all older than the other organization's.
    const slow = await isp(t.app);
    const hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hang`;
    const slowSubscriptions = [];
    for (let i = 0; i < 10; i++) slowSubscriptions.push(await subscribeTo(slow.token, hangingUrl));
    await emit(slow.org.id, 3);
    await worker.dispatchOnce();
    clock.advance(1000);
    const other = await isp(t.app);
    const prompt = await subscribeTo(other.token, receiver.url('/prompt'));
    receiver.secrets.set('/prompt', [prompt.secret]);
    await emit(other.org.id, 1);
    await worker.dispatchOnce();
    clock.advance(1000);

    const started = performance.now();
    const rounding = worker.deliverOnce();
    while (receiver.at('/prompt').length === 0 && performance.now() - started < 2500) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Delivered long before the hanging attempts time out (3 s).
    expect(receiver.at('/prompt')).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(2500);
    const [{ n: leased }] = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM webhook_deliveries
        WHERE organization_id = $1 AND status = 'pending' AND locked_until > now()`,
      [slow.org.id],
    );
    expect(leased).toBeLessThanOrEqual(2);
    expect(hung).toBeLessThanOrEqual(2);

    const round = await rounding;
    expect(round.succeeded).toBeGreaterThanOrEqual(1);
    // The slow organization: 2 attempts at most, failed at the deadline; the rest still wait.
    const [{ n: attempted }] = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM webhook_attempts a
         JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.organization_id = $1`,
      [slow.org.id],
    );
    expect(attempted).toBe(2);
    expect(hung).toBe(2);
    for (const s of slowSubscriptions) {
      await request(t.server)
        .delete(`/api/v1/webhooks/${s.id}`)
        .set('authorization', `Bearer ${slow.token}`)
        .expect(status(204));
    }
  });
});
