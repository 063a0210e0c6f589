import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import type { AuditKeysService } from '#src/audit/trail/audit-keys.service.js';
import { AuditService } from '#src/audit/trail/audit.service.js';
import {
  auditKeyId,
  checkpointSignatureValid,
  decodeCheckpointHeader,
  encodeCheckpointHeader,
  GENESIS_HASH,
  signCheckpoint,
  type SignedCheckpoint,
} from '#src/audit/trail/chain.js';
import { CheckpointSigner } from '#src/audit/trail/checkpoint-signer.js';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import { PrincipalCache } from '#src/identity/auth/principal-cache.js';
import { ROLES, type Role } from '#src/identity/auth/roles.js';
import { SystemClock } from '#src/platform/clock/clock.js';
import { currentRequestContext } from '#src/platform/http/request-context.js';
import { loadConfig } from '#src/app/config.js';
import { FeedService } from '#src/feeds/pulls/feed.service.js';
import { createDataSource } from '#src/platform/database/data-source.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { TAXII_MEDIA_TYPE } from '#src/feeds/taxii/taxii-media.js';
import { freshDatabase } from '#test/support/database-urls.js';
import { Factories } from '#test/support/factories.js';
import { rawBody } from '#test/support/raw-body.js';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import {
  createTestApp,
  TEST_ADMIN_PASSWORD,
  TEST_KEY_ENCRYPTION_KEY,
  type TestApp,
} from '#test/support/test-app.js';

interface PublicKey {
  keyId: string;
  alg: string;
  pem: string;
  jwk: { kty: string; crv: string; x: string };
  createdAt: string;
  retiredAt: string | null;
}
interface CheckpointItem extends SignedCheckpoint {
  id: string;
  reason: string;
  header: string;
}
interface CheckpointPage {
  items: CheckpointItem[];
  nextCursor: string | null;
}

type VerifyCheckpoint = (
  header: string,
  keys: { keyId: string; pem: string }[],
) => SignedCheckpoint;

/** The documented sample (docs/examples/verify-checkpoint.js), imported as is. */
const { verifyCheckpoint, contradict } = (await import(
  pathToFileURL(path.join(PROJECT_ROOT, 'docs', 'examples', 'verify-checkpoint.js')).href
)) as {
  verifyCheckpoint: VerifyCheckpoint;
  contradict: (a: SignedCheckpoint, b: SignedCheckpoint) => boolean;
};

const HEADER = 'x-audit-checkpoint';

/** Statements sent through the app's pool, with the request they were issued for. */
function recordQueries(app: TestApp): { requestId: string | undefined; sql: string }[] {
  const pool = (app.app.get(DataSource).driver as PostgresDriver).master as pg.Pool;
  const seen: { requestId: string | undefined; sql: string }[] = [];
  const wrapped = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    Object.assign(client, {
      query: (...args: unknown[]) => {
        const first = args[0] as string | { text?: string };
        seen.push({
          requestId: currentRequestContext()?.requestId,
          sql: typeof first === 'string' ? first : (first.text ?? ''),
        });
        return original(...args);
      },
    });
  });
  return seen;
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** hash(size) as the chain stores it: what a checkpoint of that size must sign. */
async function hashAt(ds: DataSource, size: number): Promise<string> {
  if (size === 0) return GENESIS_HASH.toString('hex');
  const [row] = await ds.query<{ hash: Buffer }[]>(
    `SELECT "hash" FROM "audit_events" WHERE "seq" = $1`,
    [size],
  );
  return row.hash.toString('hex');
}

/** An audit event written on its own (grows the chain by one). */
async function someEvent(app: TestApp): Promise<void> {
  await app.app.get(AuditService).record(undefined, {
    actor: 'system',
    action: 'test.checkpoint',
    objectType: 'test',
    objectId: randomUUID(),
  });
}

/**
 * Signed checkpoints, the public side: the `X-Audit-Checkpoint` header of every feed and TAXII
 * answer (the conditional poll's early 304 too), the public keys, the stored checkpoints. Other
 * test files write events and checkpoints to the same database meanwhile: expectations hold
 * whatever they add.
 */
describe('audit checkpoints', () => {
  let t: TestApp;
  let ds: DataSource;
  let make: Factories;
  let mine: Awaited<ReturnType<typeof isp>>;
  let keys: PublicKey[];
  const tokens = new Map<Role, string>();

  beforeAll(async () => {
    t = await createTestApp();
    ds = t.app.get(DataSource);
    make = new Factories(t.app);
    const flow = new RequestFlow(t.app, await departmentStaff(t.app));
    mine = await isp(t.app);
    await flow.publish([mine.org.id], [unprotected.domain(), unprotected.ipv4()]);
    for (const role of ROLES) tokens.set(role, (await make.loginAs(role)).token);
    keys = (await request(t.server).get('/api/v1/audit/public-key').expect(200)).body
      .keys as PublicKey[];
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The header of a response, verified: its signature, and its head against the chain. */
  async function verified(res: request.Response): Promise<SignedCheckpoint> {
    const value = res.headers[HEADER] as string | undefined;
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    const checkpoint = decodeCheckpointHeader(value!);
    const key = keys.find((k) => k.keyId === checkpoint.keyId);
    expect(key).toBeDefined();
    expect(checkpointSignatureValid(checkpoint, createPublicKey(key!.pem))).toBe(true);
    expect(checkpoint.head).toBe(await hashAt(ds, checkpoint.size));
    // The documented sample agrees.
    expect(verifyCheckpoint(value!, keys)).toEqual(checkpoint);
    return checkpoint;
  }
  const feed = (url: string, token = mine.token) =>
    request(t.server).get(url).set('authorization', `Bearer ${token}`);

  describe('GET /api/v1/audit/public-key', () => {
    it('is public, cacheable, and lists the signing key first as PEM and JWK', async () => {
      const res = await request(t.server).get('/api/v1/audit/public-key').expect(200);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      const body = res.body as { keys: PublicKey[] };
      expect(body.keys.length).toBeGreaterThanOrEqual(1);
      const [active] = body.keys;
      expect(active.retiredAt).toBeNull();
      expect(body.keys.slice(1).every((k) => k.retiredAt !== null)).toBe(true);
      for (const key of body.keys) {
        expect(key.alg).toBe('Ed25519');
        const fromPem = createPublicKey(key.pem);
        const fromJwk = createPublicKey({ key: key.jwk, format: 'jwk' });
        expect(fromJwk.equals(fromPem)).toBe(true);
        expect(auditKeyId(fromPem)).toBe(key.keyId);
        expect(new Date(key.createdAt).toISOString()).toBe(key.createdAt);
      }
      // The signing key is the one the service signs with now.
      expect(active.keyId).toBe(t.app.get(CheckpointSigner).latest()?.keyId);
      // One key by its id; an unknown or malformed id is a problem.
      const one = await request(t.server)
        .get(`/api/v1/audit/public-key?keyId=${active.keyId}`)
        .expect(200);
      expect(one.body).toEqual({ keys: [active] });
      const unknown = await request(t.server)
        .get(`/api/v1/audit/public-key?keyId=${'A'.repeat(43)}`)
        .expect(404);
      expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
      await request(t.server).get('/api/v1/audit/public-key?keyId=short').expect(400);
      await request(t.server).get('/api/v1/audit/public-key?colour=red').expect(400);
    });
  });

  describe('X-Audit-Checkpoint', () => {
    it('is on JSON and RPZ snapshots (streamed, gzip too), verifies, and signs the chain’s hash', async () => {
      const json = await feed('/api/v1/feed/snapshot.json').expect(200);
      expect(JSON.parse(json.text).indicators.length).toBeGreaterThan(0);
      await verified(json);
      const rpz = await feed('/api/v1/feed/snapshot.rpz').buffer(true).parse(rawBody).expect(200);
      expect(rpz.headers['content-type']).toMatch(/^text\/dns/);
      await verified(rpz);
      const gzip = await feed('/api/v1/feed/snapshot.ndjson')
        .set('accept-encoding', 'gzip')
        .buffer(true)
        .parse(rawBody)
        .expect(200);
      expect(gzip.headers['content-encoding']).toBe('gzip');
      await verified(gzip);
      // What the instance holds in memory, as is.
      expect(json.headers[HEADER]).toBe(t.app.get(CheckpointSigner).latestHeader());
    });

    it('is on the change feed’s 200, the route’s 304 and the early 304, which still asks the database nothing', async () => {
      const seen = recordQueries(t);
      await until(() => t.app.get(PrincipalCache).trusted, 'the principal cache');
      const first = await feed('/api/v1/feed/changes?after=0').expect(200);
      await verified(first);
      const etag = first.headers.etag;
      // A new token: the route answers the 304.
      const client = await make.apiClient(mine.org);
      const other = await make.clientToken(client.clientId, client.secret);
      const byRoute = await feed('/api/v1/feed/changes?after=0', other)
        .set('if-none-match', etag)
        .expect(304);
      await verified(byRoute);
      await feed('/api/v1/feed/changes?after=0').set('if-none-match', etag).expect(304);
      // From here on the conditional poll answers before the route, from memory.
      const route = jest.spyOn(t.app.get(FeedService), 'changes');
      for (let i = 0; i < 5; i++) {
        const requestId = `ckpt-${randomUUID()}`;
        const early = await feed('/api/v1/feed/changes?after=0')
          .set('if-none-match', etag)
          .set('x-request-id', requestId)
          .expect(304);
        expect(seen.filter((q) => q.requestId === requestId)).toEqual([]);
        expect(early.headers[HEADER]).toBe(first.headers[HEADER]);
        expect(early.headers.etag).toBe(etag);
      }
      expect(route).not.toHaveBeenCalled();
      route.mockRestore();
    });

    it('is on TAXII answers, whose media type stays exactly TAXII’s', async () => {
      for (const url of ['/taxii2/', '/taxii2/feeds/collections/']) {
        const res = await feed(url)
          .set('accept', TAXII_MEDIA_TYPE)
          .buffer(true)
          .parse(rawBody)
          .expect(200);
        expect(res.headers['content-type']).toBe(TAXII_MEDIA_TYPE);
        await verified(res);
      }
      const objects = await feed(`/taxii2/feeds/collections/${mine.org.id}/objects/`)
        .set('accept', TAXII_MEDIA_TYPE)
        .buffer(true)
        .parse(rawBody)
        .expect(200);
      await verified(objects);
    });

    it('is not on errors nor outside the feeds', async () => {
      const anonymous = await request(t.server).get('/api/v1/feed/snapshot.json').expect(401);
      expect(anonymous.headers[HEADER]).toBeUndefined();
      const taxiiAnonymous = await request(t.server).get('/taxii2/').expect(401);
      expect(taxiiAnonymous.headers[HEADER]).toBeUndefined();
      const badFormat = await feed('/api/v1/feed/snapshot.docx').expect(404);
      expect(badFormat.headers[HEADER]).toBeUndefined();
      const elsewhere = await feed('/api/v1/organizations').expect(200);
      expect(elsewhere.headers[HEADER]).toBeUndefined();
    });

    it('moves forward after new events and an interval run', async () => {
      const before = await verified(await feed('/api/v1/feed/snapshot.txt').expect(200));
      await someEvent(t);
      await someEvent(t);
      const made = await t.app.get(CheckpointSigner).runInterval();
      const after = await verified(await feed('/api/v1/feed/snapshot.txt').expect(200));
      expect(after).toEqual(made);
      expect(after.size).toBeGreaterThanOrEqual(before.size + 2);
      expect(after.time >= before.time).toBe(true);
      expect(contradict(before, after)).toBe(false);
    });

    it('does not verify when signed by another key, or when altered', () => {
      const current = t.app.get(CheckpointSigner).latest()!;
      const ours = createPublicKey(keys[0].pem);
      const { privateKey } = generateKeyPairSync('ed25519');
      const { sig: _sig, ...statement } = current;
      const forged = signCheckpoint(statement, privateKey);
      expect(checkpointSignatureValid(forged, ours)).toBe(false);
      expect(() => verifyCheckpoint(encodeCheckpointHeader(forged), keys)).toThrow(
        'the checkpoint signature does not verify',
      );
      const altered = { ...current, size: current.size + 1 };
      expect(checkpointSignatureValid(altered, ours)).toBe(false);
      expect(() => verifyCheckpoint(encodeCheckpointHeader(altered), keys)).toThrow(
        'the checkpoint signature does not verify',
      );
      const unknownKey = { ...current, keyId: 'not-ours' };
      expect(() => verifyCheckpoint(encodeCheckpointHeader(unknownKey), keys)).toThrow(
        /unknown audit key/,
      );
      expect(() => verifyCheckpoint(Buffer.from('{"v":2}').toString('base64url'), keys)).toThrow(
        'not a version 1 audit checkpoint',
      );
      // Two of ours at one size with different heads would prove a rewrite.
      expect(contradict(current, { ...current, head: 'f'.repeat(64) })).toBe(true);
    });

    it('is shown verbatim in docs/isp-integration.md', () => {
      const sample = readFileSync(
        path.join(PROJECT_ROOT, 'docs', 'examples', 'verify-checkpoint.js'),
        'utf8',
      );
      const guide = readFileSync(path.join(PROJECT_ROOT, 'docs', 'isp-integration.md'), 'utf8');
      expect(guide.includes(sample)).toBe(true);
    });
  });

  describe('GET /api/v1/audit/checkpoints', () => {
    const list = (query: string, role: Role = 'auditor') =>
      request(t.server)
        .get(`/api/v1/audit/checkpoints${query}`)
        .set('authorization', `Bearer ${tokens.get(role)}`);

    it('is for auditors, admins and ISPs; other roles get 403, no token 401', async () => {
      for (const role of ['auditor', 'admin', 'isp_operator', 'isp_client'] as const) {
        await list('?limit=1', role).expect(200);
      }
      for (const role of ['analyst', 'approver'] as const) {
        await list('', role).expect(403);
      }
      await request(t.server).get('/api/v1/audit/checkpoints').expect(401);
    });

    it('pages newest first without repeats; each item verifies and carries its header', async () => {
      const service = t.app.get(CheckpointSigner);
      for (let i = 0; i < 3; i++) await service.create('verify');
      const first = (await list('?limit=2').expect(200)).body as CheckpointPage;
      expect(first.items).toHaveLength(2);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = (await list(`?limit=2&cursor=${first.nextCursor}`, 'isp_client').expect(200))
        .body as CheckpointPage;
      expect(second.items).toHaveLength(2);
      const ids = [...first.items, ...second.items].map((c) => BigInt(c.id));
      for (let i = 1; i < ids.length; i++) expect(ids[i] < ids[i - 1]).toBe(true);
      for (const item of [...first.items, ...second.items]) {
        const { id, reason, header, ...signed } = item;
        expect(id).toMatch(/^\d+$/);
        expect(['interval', 'export', 'verify']).toContain(reason);
        expect(decodeCheckpointHeader(header)).toEqual(signed);
        expect(verifyCheckpoint(header, keys)).toEqual(signed);
        expect(signed.head).toBe(await hashAt(ds, signed.size));
      }
    });

    it('refuses bad pages with 400', async () => {
      for (const query of [
        '?limit=0',
        '?limit=201',
        '?cursor=not*base64',
        `?cursor=${Buffer.from('["abc"]').toString('base64url')}`,
        `?cursor=${Buffer.from('{}').toString('base64url')}`,
        '?colour=red',
      ]) {
        const res = await list(query).expect(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });

    it('GET …/latest: any role, the newest stored checkpoint, and it makes none', async () => {
      const [{ n: newestBefore }] = await ds.query<{ n: string }[]>(
        `SELECT max("id")::text AS n FROM "audit_checkpoints"`,
      );
      for (const role of ROLES) {
        const res = await request(t.server)
          .get('/api/v1/audit/checkpoints/latest')
          .set('authorization', `Bearer ${tokens.get(role)}`)
          .expect(200);
        const { id, header, reason, ...signed } = res.body as CheckpointItem;
        expect(BigInt(id) >= BigInt(newestBefore)).toBe(true);
        expect(reason).toEqual(expect.any(String));
        expect(verifyCheckpoint(header, keys)).toEqual(signed);
      }
      await request(t.server).get('/api/v1/audit/checkpoints/latest').expect(401);
    });
  });
});

describe('audit checkpoints on a database of their own', () => {
  let db: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('an empty chain gets a checkpoint: size 0, head 64 zeros', async () => {
    const config = loadConfig({ NODE_ENV: 'test', KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY });
    const ds = await createDataSource(db.url, {
      DB_POOL_MAX: 2,
      DB_CONNECT_TIMEOUT_MS: 5000,
      DB_STATEMENT_TIMEOUT_MS: 0,
      role: config.platform.DB_APP_ROLE,
    });
    await ds.initialize();
    try {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const keyId = auditKeyId(publicKey);
      // The key row the checkpoint refers to (its private part is not needed here).
      await ds.query(
        `INSERT INTO "audit_keys" ("key_id", "public_key", "private_key_encrypted")
         VALUES ($1, $2, '\\x00')`,
        [keyId, publicKey.export({ format: 'pem', type: 'spki' })],
      );
      const keys = { signing: () => ({ keyId, privateKey }) } as unknown as AuditKeysService;
      const service = new CheckpointSigner(
        ds,
        keys,
        new AuditSealer(ds, config.audit),
        new SystemClock(),
        config.audit,
      );
      const checkpoint = await service.runInterval();
      expect(checkpoint).toMatchObject({ v: 1, size: 0, head: '0'.repeat(64), keyId });
      expect(checkpointSignatureValid(checkpoint!, publicKey)).toBe(true);
      // Once only: the next tick finds the head covered.
      expect(await service.runInterval()).toEqual(checkpoint);
      const [{ n }] = await ds.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM "audit_checkpoints"`,
      );
      expect(n).toBe(1);
    } finally {
      await ds.destroy();
    }
  });
});

describe('audit checkpoints with the interval off, then on several instances', () => {
  let db: { url: string; drop: () => Promise<void> };
  const count = async (ds: DataSource): Promise<number> =>
    (await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM "audit_checkpoints"`))[0].n;
  const duplicates = async (ds: DataSource): Promise<unknown[]> =>
    ds.query(
      `SELECT "size", count(*)::int AS n FROM "audit_checkpoints" WHERE "reason" = 'interval'
        GROUP BY "size" HAVING count(*) > 1`,
    );

  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('with AUDIT_CHECKPOINT_INTERVAL_S=0 none is made at start: 404, no header; then one on demand', async () => {
    const t = await createTestApp({
      databaseUrl: db.url,
      env: { AUDIT_CHECKPOINT_INTERVAL_S: '0' },
    });
    try {
      const ds = t.app.get(DataSource);
      expect(await count(ds)).toBe(0);
      const login = await request(t.server)
        .post('/api/v1/auth/login')
        .send({ email: t.config.identity.ADMIN_EMAIL, password: TEST_ADMIN_PASSWORD })
        .expect(200);
      const admin = login.body.access_token as string;
      const latest = () =>
        request(t.server)
          .get('/api/v1/audit/checkpoints/latest')
          .set('authorization', `Bearer ${admin}`);
      const none = await latest().expect(404);
      expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
      const empty = await request(t.server)
        .get('/api/v1/audit/checkpoints')
        .set('authorization', `Bearer ${admin}`)
        .expect(200);
      expect(empty.body).toEqual({ items: [], nextCursor: null });
      const { token } = await isp(t.app);
      const before = await request(t.server)
        .get('/api/v1/feed/changes?after=0')
        .set('authorization', `Bearer ${token}`)
        .expect(200);
      expect(before.headers[HEADER]).toBeUndefined();

      const made = await t.app.get(CheckpointSigner).runInterval();
      const after = await request(t.server)
        .get('/api/v1/feed/changes?after=0')
        .set('authorization', `Bearer ${token}`)
        .expect(200);
      expect(decodeCheckpointHeader(after.headers[HEADER])).toEqual(made);
      const found = await latest().expect(200);
      expect(found.body).toMatchObject({ ...made, reason: 'interval' });
    } finally {
      await t.close();
    }
  });

  it('two instances ticking together sign a head once; each catches up with the other at its next tick', async () => {
    const env = { AUDIT_CHECKPOINT_INTERVAL_S: '0' };
    const [a, b] = await Promise.all([
      createTestApp({ databaseUrl: db.url, env }),
      createTestApp({ databaseUrl: db.url, env }),
    ]);
    try {
      const ds = a.app.get(DataSource);
      const [ca, cb] = [a, b].map((x) => x.app.get(CheckpointSigner)) as [
        CheckpointSigner,
        CheckpointSigner,
      ];
      // Both read the newest at start (made by the previous test's app).
      expect(ca.latest()).toEqual(cb.latest());
      expect(ca.latest()).toBeDefined();

      for (let round = 0; round < 5; round++) {
        await someEvent(a);
        const rows = await count(ds);
        const [x, y] = await Promise.all([ca.runInterval(), cb.runInterval()]);
        expect(x).toEqual(y);
        expect(await count(ds)).toBe(rows + 1);
        expect(ca.latestHeader()).toBe(cb.latestHeader());
      }

      // A ticks alone: B still serves the older one until its own tick, which signs nothing.
      await someEvent(b);
      const older = cb.latest();
      const made = await ca.runInterval();
      expect(made!.size).toBe(older!.size + 1);
      expect(cb.latest()).toEqual(older);
      const rows = await count(ds);
      expect(await cb.runInterval()).toEqual(made);
      expect(cb.latest()).toEqual(made);
      expect(await count(ds)).toBe(rows);

      // An export's checkpoint covers the head too: the next ticks reuse it.
      await someEvent(a);
      const exported = await ca.create('export');
      expect(await cb.runInterval()).toEqual(exported);
      expect(await ca.runInterval()).toEqual(exported);
      expect(await count(ds)).toBe(rows + 1);
      expect(await duplicates(ds)).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('with a 1-second interval both instances keep up, and an idle chain gets no new checkpoint', async () => {
    const env = { AUDIT_CHECKPOINT_INTERVAL_S: '1' };
    const [a, b] = await Promise.all([
      createTestApp({ databaseUrl: db.url, env }),
      createTestApp({ databaseUrl: db.url, env }),
    ]);
    try {
      const ds = a.app.get(DataSource);
      const [ca, cb] = [a, b].map((x) => x.app.get(CheckpointSigner)) as [
        CheckpointSigner,
        CheckpointSigner,
      ];
      const headSize = async () =>
        Number((await ds.query<{ seq: string }[]>(`SELECT "seq" FROM "audit_head"`))[0].seq);
      for (let i = 0; i < 3; i++) await someEvent(i % 2 ? a : b);
      await a.sealAudit();
      const target = await headSize();
      await until(
        () => ca.latest()!.size >= target && cb.latest()!.size >= target,
        'both instances to serve a checkpoint of the new head',
      );
      expect(ca.latestHeader()).toBe(cb.latestHeader());
      const rows = await count(ds);
      await new Promise((r) => setTimeout(r, 2500));
      expect(await count(ds)).toBe(rows);
      expect(await duplicates(ds)).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
