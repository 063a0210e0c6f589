import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { EVENT_TYPES } from '#src/messaging/outbox/outbox.service.js';
import { ManualClock } from '#src/platform/clock/clock.js';
import { DeadlineScheduler } from '#src/obligations/compliance/deadline.scheduler.js';
import type { IspCompliance } from '#src/obligations/compliance/dto/compliance.dto.js';
import type { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { WebhookWorker } from '#src/messaging/webhooks/webhook-worker.js';
import { freshDatabase } from '#test/support/database-urls.js';
import { Factories } from '#test/support/factories.js';
import {
  departmentStaff,
  RequestFlow,
  status,
  unprotected,
  type Staff,
} from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

type Json = Record<string, unknown>;
type Verify = (
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  options?: { now?: number },
) => { id: string; event: { type: string; timestamp: string; data: Json } };

/** The documented sample (docs/examples/verify-webhook.js), imported as is. */
const { verifyWebhook } = (await import(
  pathToFileURL(path.join(PROJECT_ROOT, 'docs', 'examples', 'verify-webhook.js')).href
)) as { verifyWebhook: Verify };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Delivery {
  path: string;
  id: string;
  type: string;
  timestamp: string;
  data: Json;
  /** The `webhook-timestamp` header (Unix seconds). */
  signedAt: number;
}

/**
 * A loopback receiver: each path belongs to one organization's subscription and verifies with
 * its secret, using the documented sample at the test's clock. A delivery that does not verify
 * is answered 401 and recorded as a failure (the test expects none).
 */
class Receiver {
  readonly deliveries: Delivery[] = [];
  readonly failures: string[] = [];
  readonly secrets = new Map<string, string>();
  private server!: Server;
  private port = 0;

  constructor(private readonly clock: ManualClock) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const pathname = req.url ?? '';
        const secret = this.secrets.get(pathname);
        try {
          if (!secret) throw new Error(`no subscription at ${pathname}`);
          const { id, event } = verifyWebhook(secret, req.headers, Buffer.concat(chunks), {
            now: this.clock.now().getTime(),
          });
          this.deliveries.push({
            path: pathname,
            id,
            type: event.type,
            timestamp: event.timestamp,
            data: event.data,
            signedAt: Number(req.headers['webhook-timestamp']),
          });
          res.writeHead(204).end();
        } catch (error) {
          this.failures.push(`${pathname}: ${String(error)}`);
          res.writeHead(401).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(pathname: string): string {
    return `http://127.0.0.1:${this.port}${pathname}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The "Done when" scenario of issue 6, over HTTP only, on a database of its own (so that the
 * deadline scheduler, the webhook worker, the feed versions and the report's list of ISPs see
 * this scenario and nothing else), with a clock the test moves:
 *
 * T0 the Department publishes 3 items to ISPs A, B and C (deadline T0 + 24 h);
 * A pulls the change feed (T0 + 30 min), B the RPZ snapshot (T0 + 45 min), C nothing;
 * A acknowledges (T0 + 1 h) and confirms per item at T0 + 3 h (applied at T0 + 2 h 30, two items
 * applied, the URL not applicable → partially_applied), with an Idempotency-Key, retried;
 * B sends a feed receipt at T0 + 5 h (applied at T0 + 4 h) with the snapshot's SHA-256;
 * the scheduler reminds C at T0 + 22 h and escalates C at T0 + 24 h;
 * at T0 + 25 h the compliance report, its CSV and the request show exactly that, and the
 * webhook receiver got exactly the expected deliveries, each signed and each once.
 */
describe('issue 6 end to end: publish, pull, confirm, receipt, deadline, compliance', () => {
  // A whole minute, a little ahead of the wall clock (indicators are valid from the database's now).
  const T0 = new Date(Math.ceil(Date.now() / MINUTE) * MINUTE + 2 * MINUTE);
  const at = (ms: number): Date => new Date(T0.getTime() + ms);
  const iso = (ms: number): string => at(ms).toISOString();
  const clock = new ManualClock(T0);

  let fresh: { url: string; drop: () => Promise<void> };
  let t: TestApp;
  let db: DataSource;
  let staff: Staff;
  let flow: RequestFlow;
  let worker: WebhookWorker;
  let scheduler: DeadlineScheduler;
  const receiver = new Receiver(clock);

  interface Party {
    org: OrganizationEntity;
    token: string;
    hook: string;
  }
  let dept: Party;
  let A: Party;
  let B: Party;
  let C: Party;

  // What the scenario produces, for the assertions.
  let requestId: string;
  let documentNumber: string;
  const assignmentOf: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };
  let items: { indicatorId: string; type: string; value: string }[];
  let aHeld: number;
  let bHeld: number;
  let bSnapshotSha256: string;
  let confirmationId: string;
  let receiptId: string;

  const api = (method: 'get' | 'post', url: string, token: string) =>
    request(t.server)[method](`/api/v1${url}`).set('authorization', `Bearer ${token}`);

  /** Registers a webhook for every event type at a path of its own. */
  const subscribe = async (token: string, pathname: string): Promise<void> => {
    const res = await api('post', '/webhooks', token)
      .send({ url: receiver.url(pathname), events: [...EVENT_TYPES], description: pathname })
      .expect(status(201));
    receiver.secrets.set(pathname, res.body.secret as string);
  };

  const deliverAll = async (): Promise<void> => {
    const round = await worker.runOnce();
    expect(round.attempted).toBe(round.succeeded);
  };

  beforeAll(async () => {
    await receiver.start();
    fresh = await freshDatabase();
    t = await createTestApp({
      clock,
      databaseUrl: fresh.url,
      env: { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_CIDRS: '127.0.0.0/8' },
    });
    db = t.app.get(DataSource);
    worker = t.app.get(WebhookWorker);
    scheduler = t.app.get(DeadlineScheduler);
    const make = new Factories(t.app);

    staff = await departmentStaff(t.app);
    flow = new RequestFlow(t.app, staff);
    const admin = await make.user(staff.organization, ['admin']);
    const login = await request(t.server)
      .post('/api/v1/auth/login')
      .send({ email: admin.email, password: admin.password })
      .expect(status(200));
    dept = { org: staff.organization, token: login.body.access_token as string, hook: '/dept' };

    // A and B integrate with API clients; C's operator only registers a webhook.
    const withClient = async (code: string): Promise<Party> => {
      const org = await make.organization('isp', { shortCode: code, name: `Telecom ${code}` });
      const client = await make.apiClient(org);
      const token = await make.clientToken(client.clientId, client.secret);
      return { org, token, hook: `/${code}` };
    };
    A = await withClient('ISP-A');
    B = await withClient('ISP-B');
    const orgC = await make.organization('isp', { shortCode: 'ISP-C', name: 'Telecom ISP-C' });
    const operator = await make.user(orgC, ['isp_operator']);
    const loginC = await request(t.server)
      .post('/api/v1/auth/login')
      .send({ email: operator.email, password: operator.password })
      .expect(status(200));
    C = { org: orgC, token: loginC.body.access_token as string, hook: '/ISP-C' };

    for (const party of [dept, A, B, C]) await subscribe(party.token, party.hook);
  });

  afterAll(async () => {
    await t?.close();
    await fresh?.drop();
    await receiver.stop();
  });

  it('T0: the Department publishes three items to A, B and C, due 24 hours later', async () => {
    const values = [unprotected.domain(), unprotected.ipv4(), unprotected.url()];
    const draft = await flow.draft([A.org.id, B.org.id, C.org.id]);
    requestId = draft.id as string;
    documentNumber = draft.documentNumber as string;
    await flow.addValues(requestId, values);
    await flow.submit(requestId);
    const published = await flow.approve(requestId);
    expect(published).toMatchObject({
      status: 'published',
      publishedAt: iso(0),
      deadlineAt: iso(24 * HOUR),
      issuedBy: dept.org.id,
    });
    const assignments = published.assignments as { id: string; organizationId: string }[];
    expect(assignments).toHaveLength(3);
    for (const [key, party] of [
      ['A', A],
      ['B', B],
      ['C', C],
    ] as const) {
      assignmentOf[key] = assignments.find((a) => a.organizationId === party.org.id)!.id;
    }
    const listed = await flow.raw('get', `/${requestId}/items`, staff.analyst).expect(status(200));
    items = (listed.body.items as { indicatorId: string; type: string; value: string }[]).map(
      ({ indicatorId, type, value }) => ({ indicatorId, type, value }),
    );
    expect(items.map((i) => i.type).sort()).toEqual(['domain', 'ipv4', 'url']);
    await deliverAll();
  });

  it('T0 + 30 min: A pulls the change feed; T0 + 45 min: B pulls the RPZ snapshot', async () => {
    clock.set(at(30 * MINUTE));
    const changes = await api('get', '/feed/changes?after=0', A.token).expect(status(200));
    expect(changes.body.more).toBe(false);
    expect(
      (changes.body.changes as Json[]).map((c) => [c.op, c.value, c.requestId]).sort(),
    ).toEqual(items.map((i) => ['add', i.value, requestId]).sort());
    aHeld = changes.body.next as number;

    clock.set(at(45 * MINUTE));
    const rpz = await api('get', '/feed/snapshot.rpz', B.token)
      .buffer(true)
      .parse((res, callback) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => callback(null, Buffer.concat(chunks)));
      })
      .expect(status(200));
    bHeld = Number(rpz.headers['x-feed-version']);
    const zone = (rpz.body as Buffer).toString('utf8');
    const domain = items.find((i) => i.type === 'domain')!.value;
    expect(zone).toContain(`${domain} CNAME .`);
    bSnapshotSha256 = createHash('sha256')
      .update(rpz.body as Buffer)
      .digest('hex');
  });

  it('T0 + 1 h: A acknowledges', async () => {
    clock.set(at(HOUR));
    const ack = await api('post', `/assignments/${assignmentOf.A}/acknowledge`, A.token).expect(
      status(200),
    );
    expect(ack.body).toMatchObject({
      status: 'acknowledged',
      acknowledgedAt: iso(HOUR),
      overdue: false,
    });
  });

  it('T0 + 3 h: A confirms per item with an Idempotency-Key; the retry replays, nothing twice', async () => {
    clock.set(at(3 * HOUR));
    const byType = (type: string) => items.find((i) => i.type === type)!.indicatorId;
    const body = {
      status: 'partially_applied',
      reason: 'URLs cannot be blocked with our resolvers',
      appliedAt: iso(2.5 * HOUR),
      mechanism: 'rpz',
      evidence: 'RPZ on ns1 and ns2',
      items: [
        { indicatorId: byType('domain'), outcome: 'applied' },
        { indicatorId: byType('ipv4'), outcome: 'applied' },
        { indicatorId: byType('url'), outcome: 'not_applicable', reason: 'no HTTP proxy' },
      ],
    };
    const key = randomUUID();
    const first = await api('post', `/assignments/${assignmentOf.A}/confirmations`, A.token)
      .set('idempotency-key', key)
      .send(body)
      .expect(status(201));
    confirmationId = first.body.id as string;
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.headers.location).toBe(
      `/api/v1/assignments/${assignmentOf.A}/confirmations/${confirmationId}`,
    );
    expect(first.body).toMatchObject({
      assignmentId: assignmentOf.A,
      organizationId: A.org.id,
      status: 'partially_applied',
      appliedAt: iso(2.5 * HOUR),
      mechanism: 'rpz',
      receiptId: null,
      actorType: 'api_client',
    });

    // The client lost the answer and retries: the same answer, nothing done twice.
    const retry = await api('post', `/assignments/${assignmentOf.A}/confirmations`, A.token)
      .set('idempotency-key', key)
      .send(body)
      .expect(status(201));
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.body).toEqual(first.body);
    // The same key with another statement is refused, and records nothing either.
    await api('post', `/assignments/${assignmentOf.A}/confirmations`, A.token)
      .set('idempotency-key', key)
      .send({ ...body, status: 'applied', reason: undefined, items: undefined })
      .expect(status(422));

    const detail = await api('get', `/assignments/${assignmentOf.A}`, A.token).expect(status(200));
    expect(detail.body).toMatchObject({
      status: 'partially_applied',
      acknowledgedAt: iso(HOUR),
      appliedAt: iso(2.5 * HOUR),
      closedAt: iso(3 * HOUR),
      lastConfirmationId: confirmationId,
      overdue: false,
    });
    expect((detail.body.confirmations as Json[]).map((c) => c.id)).toEqual([confirmationId]);
    const outcomes = Object.fromEntries(
      (detail.body.items as { indicatorId: string; outcome: string }[]).map((i) => [
        i.indicatorId,
        i.outcome,
      ]),
    );
    expect(outcomes).toEqual({
      [byType('domain')]: 'applied',
      [byType('ipv4')]: 'applied',
      [byType('url')]: 'not_applicable',
    });
    await deliverAll();
  });

  it('T0 + 5 h: B sends a feed receipt for the snapshot it deployed; the hash matches', async () => {
    clock.set(at(5 * HOUR));
    const res = await api('post', '/feed/receipts', B.token)
      .set('idempotency-key', randomUUID())
      .send({
        version: bHeld,
        format: 'rpz',
        appliedAt: iso(4 * HOUR),
        mechanism: 'rpz',
        evidence: `serial ${bHeld}`,
        sha256: bSnapshotSha256,
      })
      .expect(status(201));
    receiptId = res.body.id as string;
    expect(res.body).toMatchObject({
      organizationId: B.org.id,
      version: bHeld,
      format: 'rpz',
      appliedAt: iso(4 * HOUR),
      sha256: bSnapshotSha256,
      hashCheck: 'matched',
      flagged: false,
      assignmentsConfirmed: 1,
      confirmedAssignmentIds: [assignmentOf.B],
    });
    const detail = await api('get', `/assignments/${assignmentOf.B}`, B.token).expect(status(200));
    expect(detail.body).toMatchObject({
      status: 'applied',
      acknowledgedAt: iso(5 * HOUR),
      appliedAt: iso(4 * HOUR),
      closedAt: iso(5 * HOUR),
    });
    expect(detail.body.confirmations).toEqual([
      expect.objectContaining({ status: 'applied', receiptId, appliedAt: iso(4 * HOUR) }),
    ]);
    expect((detail.body.items as Json[]).map((i) => i.outcome)).toEqual([
      'applied',
      'applied',
      'applied',
    ]);
    await deliverAll();
  });

  it('C does nothing: reminded once at T0 + 22 h, escalated once at T0 + 24 h', async () => {
    clock.set(at(22 * HOUR - 1));
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 0 });
    clock.set(at(22 * HOUR));
    expect(await scheduler.runOnce()).toEqual({ reminded: 1, escalated: 0 });
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 0 });
    await deliverAll();

    // At the deadline itself C is not overdue yet (deadline < now), and is not escalated.
    clock.set(at(24 * HOUR));
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 0 });
    const before = await api('get', `/assignments/${assignmentOf.C}`, C.token).expect(status(200));
    expect(before.body).toMatchObject({ status: 'pending', overdue: false });
    // A millisecond later it is overdue, and escalated once.
    clock.set(at(24 * HOUR + 1));
    const after = await api('get', `/assignments/${assignmentOf.C}`, C.token).expect(status(200));
    expect(after.body).toMatchObject({ status: 'pending', overdue: true });
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 1 });
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 0 });
    await deliverAll();
  });

  describe('T0 + 25 h', () => {
    const window = () => `from=${iso(-HOUR)}&to=${iso(HOUR)}`;
    let versionsOf: Record<string, number[]>;

    beforeAll(async () => {
      clock.set(at(25 * HOUR));
      // The Department has no API listing another organization's feed changes: read them.
      const rows = await db.query<{ organization_id: string; version: string }[]>(
        `SELECT organization_id, version FROM feed_changes ORDER BY version`,
      );
      versionsOf = {};
      for (const r of rows) (versionsOf[r.organization_id] ??= []).push(Number(r.version));
    });

    it('the feeds: 3 changes each, A and B hold all of theirs, C never pulled', () => {
      expect(Object.keys(versionsOf).sort()).toEqual([A.org.id, B.org.id, C.org.id].sort());
      for (const party of [A, B, C]) expect(versionsOf[party.org.id]).toHaveLength(3);
      const all = Object.values(versionsOf).flat();
      // A was given everything up to the feed's version then; B a snapshot at it.
      expect(aHeld).toBe(Math.max(...all));
      expect(bHeld).toBe(Math.max(...all));
    });

    it('the compliance report (JSON) shows exactly that, per ISP', async () => {
      const res = await api('get', `/compliance?${window()}`, staff.analyst).expect(status(200));
      expect(res.body).toMatchObject({
        from: iso(-HOUR),
        to: iso(HOUR),
        generatedAt: iso(25 * HOUR),
      });
      const none = { rejected: 0, withdrawn: 0, rejections: [] };
      const expected: IspCompliance[] = [
        {
          organization: { id: A.org.id, name: 'Telecom ISP-A', shortCode: 'ISP-A' },
          assignments: 1,
          applied: 0,
          partiallyApplied: 1,
          ...none,
          open: 0,
          overdue: 0,
          overdueAssignments: [],
          onTime: 1,
          onTimePercent: 100,
          medianSecondsToApply: 9000,
          p90SecondsToApply: 9000,
          medianSecondsToAcknowledge: 3600,
          lastPullAt: iso(30 * MINUTE),
          versionHeld: aHeld,
          currentVersion: Math.max(...versionsOf[A.org.id]),
          versionLag: 0,
        },
        {
          organization: { id: B.org.id, name: 'Telecom ISP-B', shortCode: 'ISP-B' },
          assignments: 1,
          applied: 1,
          partiallyApplied: 0,
          ...none,
          open: 0,
          overdue: 0,
          overdueAssignments: [],
          onTime: 1,
          onTimePercent: 100,
          medianSecondsToApply: 14400,
          p90SecondsToApply: 14400,
          // The receipt's confirmation is B's first word: it counts as the acknowledgement.
          medianSecondsToAcknowledge: 18000,
          lastPullAt: iso(45 * MINUTE),
          versionHeld: bHeld,
          currentVersion: Math.max(...versionsOf[B.org.id]),
          versionLag: 0,
        },
        {
          organization: { id: C.org.id, name: 'Telecom ISP-C', shortCode: 'ISP-C' },
          assignments: 1,
          applied: 0,
          partiallyApplied: 0,
          ...none,
          open: 1,
          overdue: 1,
          overdueAssignments: [
            { assignmentId: assignmentOf.C, requestId, documentNumber, deadlineAt: iso(24 * HOUR) },
          ],
          onTime: 0,
          onTimePercent: 0,
          medianSecondsToApply: null,
          p90SecondsToApply: null,
          medianSecondsToAcknowledge: null,
          lastPullAt: null,
          versionHeld: null,
          currentVersion: Math.max(...versionsOf[C.org.id]),
          versionLag: 3,
        },
      ];
      // This database has these three ISPs and no other.
      expect(res.body.isps).toEqual(expected);
    });

    it('the same as CSV', async () => {
      const res = await api('get', `/compliance.csv?${window()}`, staff.analyst).expect(
        status(200),
      );
      const maxOf = (p: Party) => Math.max(...versionsOf[p.org.id]);
      expect(res.text.split('\r\n')).toEqual([
        'organization_id,short_code,name,assignments,applied,partially_applied,rejected,open,overdue,overdue_documents,withdrawn,on_time,on_time_percent,median_seconds_to_apply,p90_seconds_to_apply,median_seconds_to_acknowledge,rejections,rejection_reasons,last_pull_at,version_held,current_version,version_lag',
        `${A.org.id},ISP-A,Telecom ISP-A,1,0,1,0,0,0,,0,1,100,9000,9000,3600,0,,${iso(30 * MINUTE)},${aHeld},${maxOf(A)},0`,
        `${B.org.id},ISP-B,Telecom ISP-B,1,1,0,0,0,0,,0,1,100,14400,14400,18000,0,,${iso(45 * MINUTE)},${bHeld},${maxOf(B)},0`,
        `${C.org.id},ISP-C,Telecom ISP-C,1,0,0,0,1,1,${documentNumber},0,0,0,,,,0,,,,${maxOf(C)},3`,
        '',
      ]);
      expect(parse(res.text, { columns: true })).toHaveLength(3);
    });

    it('the request shows per ISP its status, times and lateness; it is not completed', async () => {
      const r = await flow.get(requestId);
      expect(r.status).toBe('published');
      const byOrg = Object.fromEntries(
        (r.assignments as Json[]).map((a) => [a.organizationId as string, a]),
      );
      expect(byOrg[A.org.id]).toEqual({
        id: assignmentOf.A,
        organizationId: A.org.id,
        status: 'partially_applied',
        deadlineAt: iso(24 * HOUR),
        overdue: false,
        acknowledgedAt: iso(HOUR),
        appliedAt: iso(2.5 * HOUR),
        closedAt: iso(3 * HOUR),
        secondsToAcknowledge: 3600,
        secondsToApply: 9000,
        lastConfirmationStatus: 'partially_applied',
        lastConfirmationMechanism: 'rpz',
        lastConfirmationReason: 'URLs cannot be blocked with our resolvers',
        lastConfirmationReceiptId: null,
      });
      expect(byOrg[B.org.id]).toEqual({
        id: assignmentOf.B,
        organizationId: B.org.id,
        status: 'applied',
        deadlineAt: iso(24 * HOUR),
        overdue: false,
        acknowledgedAt: iso(5 * HOUR),
        appliedAt: iso(4 * HOUR),
        closedAt: iso(5 * HOUR),
        secondsToAcknowledge: 18000,
        secondsToApply: 14400,
        lastConfirmationStatus: 'applied',
        lastConfirmationMechanism: 'rpz',
        lastConfirmationReason: null,
        lastConfirmationReceiptId: receiptId,
      });
      expect(byOrg[C.org.id]).toEqual({
        id: assignmentOf.C,
        organizationId: C.org.id,
        status: 'pending',
        deadlineAt: iso(24 * HOUR),
        overdue: true,
        acknowledgedAt: null,
        appliedAt: null,
        closedAt: null,
        secondsToAcknowledge: null,
        secondsToApply: null,
        lastConfirmationStatus: null,
        lastConfirmationMechanism: null,
        lastConfirmationReason: null,
        lastConfirmationReceiptId: null,
      });
    });

    it('the receiver got exactly the expected deliveries, each verified and each once', async () => {
      await deliverAll();
      expect(receiver.failures).toEqual([]);
      const ids = receiver.deliveries.map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);

      const published = {
        type: 'request.published',
        timestamp: iso(0),
        data: {
          requestId,
          documentNumber,
          title: 'Botnet command-and-control servers',
          publishedAt: iso(0),
          deadlineAt: iso(24 * HOUR),
          items: 3,
          feedVersion: aHeld,
        },
      };
      const confirmedBy = (party: Party, key: 'A' | 'B') => ({
        type: 'confirmation.received',
        timestamp: key === 'A' ? iso(3 * HOUR) : iso(5 * HOUR),
        data: {
          assignmentId: assignmentOf[key],
          requestId,
          documentNumber,
          organizationId: party.org.id,
          status: key === 'A' ? 'partially_applied' : 'applied',
          appliedAt: key === 'A' ? iso(2.5 * HOUR) : iso(4 * HOUR),
          confirmationId: key === 'A' ? confirmationId : expect.any(String),
          receiptId: key === 'A' ? null : receiptId,
        },
      });
      const aboutC = {
        assignmentId: assignmentOf.C,
        requestId,
        documentNumber,
        organizationId: C.org.id,
        deadlineAt: iso(24 * HOUR),
      };
      const reminder = {
        type: 'assignment.reminder',
        timestamp: iso(22 * HOUR),
        data: { ...aboutC, minutesLeft: 120 },
      };
      const overdue = { type: 'assignment.overdue', timestamp: iso(24 * HOUR + 1), data: aboutC };

      const got = (party: Party) =>
        receiver.deliveries
          .filter((d) => d.path === party.hook)
          .map(({ type, timestamp, data }) => ({ type, timestamp, data }));
      expect({
        dept: got(dept),
        A: got(A),
        B: got(B),
        C: got(C),
      }).toEqual({
        // The Department: the publication, both confirmations, the escalation; no reminder.
        dept: [published, confirmedBy(A, 'A'), confirmedBy(B, 'B'), overdue],
        // A and B: the publication and their own confirmation only; closed in time, no
        // reminder, no escalation.
        A: [published, confirmedBy(A, 'A')],
        B: [published, confirmedBy(B, 'B')],
        // C: the publication, the reminder, the escalation.
        C: [published, reminder, overdue],
      });
      // Each attempt signed at the clock's time of its round (Unix seconds).
      for (const d of receiver.deliveries) {
        expect(d.signedAt * 1000).toBeLessThanOrEqual(clock.now().getTime());
      }

      // The API shows the same: every delivery succeeded at its first attempt.
      for (const party of [dept, A, B, C]) {
        const subs = await api('get', '/webhooks', party.token).expect(status(200));
        const [sub] = subs.body.items as { id: string }[];
        const list = await api('get', `/webhooks/${sub.id}/deliveries`, party.token).expect(
          status(200),
        );
        const mine = receiver.deliveries.filter((d) => d.path === party.hook).map((d) => d.id);
        expect((list.body.items as Json[]).map((d) => [d.id, d.status, d.attempts]).sort()).toEqual(
          mine.map((id) => [id, 'succeeded', 1]).sort(),
        );
      }
    });
  });
});
