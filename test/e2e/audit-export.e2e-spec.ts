import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditKeysService } from '#src/audit/trail/audit-keys.service.js';
import type { ChainedEvent, SignedCheckpoint } from '#src/audit/trail/chain.js';
import {
  CHAIN_CSV,
  EVENT_CSV_COLUMNS,
  EVENTS_CSV,
  EVENTS_JSONL,
  MANIFEST,
  MANIFEST_SIGNATURE,
  type ExportManifest,
} from '#src/audit/export/export-format.js';
import {
  VerificationFailure,
  verifyExport,
  type VerifiedExport,
} from '#src/audit/offline-verifier/verify-export.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import {
  auditKeyPair,
  editManifest,
  editText,
  readZip,
  tamperedCopy,
  truncatedCopy,
} from '#test/support/audit-exports.js';
import { Factories } from '#test/support/factories.js';
import {
  departmentStaff,
  isp,
  RequestFlow,
  status,
  unprotected,
  type Staff,
} from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

type Json = Record<string, unknown>;

/** The package's command (package.json "bin"); it runs the build, dist/. */
const BIN = path.join(PROJECT_ROOT, 'bin', 'threat-exchange.js');
const BUILT_CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'audit', 'offline-verifier', 'cli.js');

/** Runs a command; its exit code and output (never throws on a non-zero exit). */
function runCommand(
  file: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: PROJECT_ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Exports over the API, verified offline: by period, ISP and request, in both languages, each
 * tamper with an exported file detected with its own message, the verifier run as the command
 * the package ships. Other test files write to the same database meanwhile, so expectations on
 * the content are scoped to organizations and requests this file made.
 */
describe('audit exports', () => {
  let t: TestApp;
  let staff: Staff;
  let flow: RequestFlow;
  let auditor: string;
  let admin: string;
  let analyst: string;
  let a: Awaited<ReturnType<typeof isp>>;
  let b: Awaited<ReturnType<typeof isp>>;
  let ispClient: string;
  let r1: string;
  let r2: string;
  let indicatorId: string;
  let userOfA: string;
  let publicKeyPem: string;
  let dir: string;
  const start = new Date(Date.now() - 1000);
  let n = 0;
  const file = (name = 'export') => path.join(dir, `${name}-${++n}.zip`);

  const exportCall = (query: Record<string, string>, token = auditor) =>
    request(t.server)
      .get('/api/v1/audit/exports')
      .query(query)
      .set('authorization', `Bearer ${token}`);

  /** Downloads an export (200) to a file. */
  const download = async (query: Record<string, string>, token = auditor) => {
    const res = await exportCall(query, token)
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      });
    if (res.status !== 200) {
      throw new Error(`expected 200, got ${res.status}: ${String(res.body)}`);
    }
    const target = file();
    await writeFile(target, res.body as Buffer);
    return { file: target, headers: res.headers };
  };

  const publicKey = async () => {
    const { createPublicKey } = await import('node:crypto');
    return createPublicKey(publicKeyPem);
  };
  const verify = async (zip: string): Promise<VerifiedExport> =>
    verifyExport(zip, { publicKey: await publicKey() });
  const failureOf = async (zip: string, key?: import('node:crypto').KeyObject) => {
    try {
      await verifyExport(zip, { publicKey: key ?? (await publicKey()) });
    } catch (error) {
      if (error instanceof VerificationFailure) return error.message;
      throw error;
    }
    throw new Error(`${zip} verified`);
  };
  const eventsIn = async (zip: string): Promise<ChainedEvent[]> =>
    (await readZip(zip))
      .get(EVENTS_JSONL)!
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ChainedEvent);
  const manifestOf = async (zip: string) =>
    JSON.parse((await readZip(zip)).get(MANIFEST)!.toString('utf8')) as ExportManifest;

  const api = (token: string) => ({
    post: (p: string, body: object = {}) =>
      request(t.server).post(`/api/v1${p}`).set('authorization', `Bearer ${token}`).send(body),
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'audit-export-e2e-'));
    t = await createTestApp();
    const make = new Factories(t.app);
    staff = await departmentStaff(t.app);
    flow = new RequestFlow(t.app, staff);
    auditor = (await make.loginAs('auditor')).token;
    admin = (await make.loginAs('admin')).token;
    analyst = (await make.loginAs('analyst')).token;
    ispClient = (await make.loginAs('isp_client')).token;
    [a, b] = [await isp(t.app), await isp(t.app)];
    const keys = t.app.get(AuditKeysService);
    publicKeyPem = (await keys.publicKeys()).find((k) => k.keyId === keys.signing().keyId)!.pem;

    // An indicator created on its own, then listed by request 1 (published to A and B).
    const value = unprotected.domain();
    indicatorId = (await api(staff.analyst).post('/indicators', { value }).expect(status(201))).body
      .id as string;
    const published1 = await flow.publish([a.org.id, b.org.id], [value, unprotected.domain()]);
    r1 = published1.id as string;
    const of = (p: Json, org: string) =>
      (p.assignments as { id: string; organizationId: string }[]).find(
        (x) => x.organizationId === org,
      )!.id;
    await api(a.token)
      .post(`/assignments/${of(published1, a.org.id)}/acknowledge`)
      .expect(200);
    await api(a.token)
      .post(`/assignments/${of(published1, a.org.id)}/confirmations`, {
        status: 'applied',
        appliedAt: new Date().toISOString(),
        mechanism: 'rpz',
      })
      .expect(status(201));
    await api(b.token)
      .post(`/assignments/${of(published1, b.org.id)}/confirmations`, {
        status: 'rejected',
        reason: 'Không thuộc mạng của chúng tôi',
      })
      .expect(status(201));
    // Request 2, to B only.
    const published2 = await flow.publish([b.org.id], [unprotected.domain()]);
    r2 = published2.id as string;
    await api(b.token)
      .post(`/assignments/${of(published2, b.org.id)}/acknowledge`)
      .expect(200);
    // A user made for A by an administrator: an event about A by someone outside it.
    userOfA = (
      await api(admin)
        .post('/users', {
          organizationId: a.org.id,
          email: `${randomUUID()}@isp-a.example`,
          name: 'Nguyễn Văn A',
          roles: ['isp_operator'],
          password: 'a long enough password, surely',
        })
        .expect(status(201))
    ).body.id as string;
    // A test app, six people and two published requests: slow on a loaded machine.
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('what an export holds', () => {
    it('a period: the ZIP verifies offline, is recorded as audit.export and made a checkpoint', async () => {
      const to = new Date(Date.now() + 60_000);
      const { file: zip, headers } = await download({
        from: start.toISOString(),
        to: to.toISOString(),
      });
      expect(headers['content-type']).toBe('application/zip');
      expect(headers['cache-control']).toBe('private, no-store');
      const compact = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
      expect(headers['content-disposition']).toBe(
        `attachment; filename="audit-export-${compact(start)}-${compact(to)}.zip"`,
      );
      const v = await verify(zip);
      const manifest = await manifestOf(zip);
      expect(v.range.lastSeq).toBe(manifest.checkpoint.size);
      expect(manifest.filters).toEqual({
        from: start.toISOString(),
        to: to.toISOString(),
        organizationId: null,
        blockingRequestId: null,
        all: false,
      });
      const events = await eventsIn(zip);
      expect(events.every((e) => e.at >= start.toISOString() && e.at < to.toISOString())).toBe(
        true,
      );
      expect(events.filter((e) => e.objectId === r1).map((e) => e.action)).toEqual([
        'blocking_request.create',
        'blocking_request.add_items',
        'blocking_request.submit',
        'blocking_request.approve',
        'blocking_request.complete',
      ]);
      // Events in a period are contiguous: the chain holds no event outside the selection.
      expect(v.chainEvents).toBe(manifest.checkpoint.size - manifest.range.firstSeq + 1);
      expect(v.events).toBeLessThanOrEqual(v.chainEvents);

      // The export's own event, after its checkpoint, with the manifest's SHA-256.
      const id = headers['x-audit-export-id'];
      const found = await request(t.server)
        .get('/api/v1/audit/events')
        .query({ objectType: 'audit_export', objectId: id })
        .set('authorization', `Bearer ${auditor}`)
        .expect(status(200));
      const [event] = found.body.items as Json[];
      expect(found.body.items).toHaveLength(1);
      const manifestBytes = (await readZip(zip)).get(MANIFEST)!;
      expect(event).toMatchObject({
        action: 'audit.export',
        roles: ['auditor'],
        summary: {
          filters: manifest.filters,
          csv: { language: 'vi', bom: false },
          events: v.events,
          chainEvents: v.chainEvents,
          range: { firstSeq: manifest.range.firstSeq, lastSeq: manifest.range.lastSeq },
          checkpointSize: manifest.checkpoint.size,
          manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
        },
      });
      const [checkpoint] = await t.app
        .get(DataSource)
        .query<{ reason: string }[]>(
          `SELECT reason FROM audit_checkpoints WHERE size = $1 AND time = $2 AND key_id = $3`,
          [manifest.checkpoint.size, manifest.checkpoint.time, manifest.keyId],
        );
      expect(checkpoint).toEqual({ reason: 'export' });
    });

    it('an ISP: only events by or about it, and it still verifies end to end', async () => {
      const { file: zip } = await download({ organizationId: a.org.id });
      const v = await verify(zip);
      const events = await eventsIn(zip);
      expect(events.map((e) => [e.action, e.objectId])).toEqual([
        ['auth.login', expect.any(String)], // A's operator signing in
        ['blocking_request.approve', r1],
        ['assignment.acknowledge', expect.any(String)],
        ['assignment.confirm', expect.any(String)],
        ['blocking_request.complete', r1],
        ['user.create', userOfA],
      ]);
      expect(events.filter((e) => e.action.startsWith('assignment.'))).toEqual(
        expect.arrayContaining([expect.objectContaining({ organizationId: a.org.id })]),
      );
      // B's confirmation completed request 1 (an event about A's request), but B's own
      // statements and request 2 are not A's.
      expect(events.find((e) => e.action === 'blocking_request.complete')?.organizationId).toBe(
        b.org.id,
      );
      expect(events.some((e) => e.objectId === r2)).toBe(false);
      expect(v.events).toBe(6);
      // Every event from the first selected one to the checkpoint is in the chain, by digest.
      expect(v.chainEvents).toBe(v.range.lastSeq - v.range.firstSeq + 1);
      expect(v.chainEvents).toBeGreaterThan(v.events);
      expect(v.range.firstSeq).toBe(events[0].seq);
    });

    it('a blocking request: its life, its items’ indicators, its assignments and statements', async () => {
      const { file: zip } = await download({ blockingRequestId: r1 });
      await verify(zip);
      const events = await eventsIn(zip);
      expect(events.map((e) => [e.action, e.organizationId])).toEqual([
        ['indicator.create', staff.organization.id],
        ['blocking_request.create', staff.organization.id],
        ['blocking_request.add_items', staff.organization.id],
        ['blocking_request.submit', staff.organization.id],
        ['blocking_request.approve', staff.organization.id],
        ['assignment.acknowledge', a.org.id],
        ['assignment.confirm', a.org.id],
        ['assignment.confirm', b.org.id],
        ['blocking_request.complete', b.org.id],
      ]);
      expect(events[0].objectId).toBe(indicatorId);
      // With a period too (AND): only what happened in it.
      const approvedAt = events[4].at;
      const { file: narrow } = await download({ blockingRequestId: r1, from: approvedAt });
      await verify(narrow);
      expect((await eventsIn(narrow)).map((e) => e.action)).toEqual([
        'blocking_request.approve',
        'assignment.acknowledge',
        'assignment.confirm',
        'assignment.confirm',
        'blocking_request.complete',
      ]);
    });

    it('events.csv: Vietnamese titles by default, English on request, a BOM only with bom=true', async () => {
      const vi = await readZip((await download({ blockingRequestId: r2 })).file);
      const viCsv = vi.get(EVENTS_CSV)!;
      expect(viCsv.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
      const viLines = viCsv.toString('utf8').split('\r\n');
      expect(viLines[0]).toBe(
        'Số thứ tự,Thời điểm (UTC),Loại tác nhân,Mã tác nhân,Tổ chức của tác nhân,Vai trò,Hành động,Loại đối tượng,Mã đối tượng,Tóm tắt,Mã yêu cầu HTTP,Địa chỉ IP,Mã băm chuỗi',
      );
      expect(viLines[0].split(',')).toEqual(EVENT_CSV_COLUMNS.vi);
      expect(viLines.filter(Boolean)).toHaveLength(1 + 5);

      const { file: enZip } = await download({ blockingRequestId: r2, lang: 'en', bom: 'true' });
      await verify(enZip);
      const en = (await readZip(enZip)).get(EVENTS_CSV)!;
      expect(en.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(en.toString('utf8').slice(1).split('\r\n')[0]).toBe(
        "Sequence,Time (UTC),Actor type,Actor ID,Actor's organization,Roles,Action,Object type,Object ID,Summary,HTTP request ID,IP address,Chain hash",
      );
      expect((await manifestOf(enZip)).csv).toEqual({ language: 'en', bom: true });
    });

    it('the whole trail only when asked for (all=true)', async () => {
      const { file: zip } = await download({ all: 'true' });
      const v = await verify(zip);
      expect(v.range.firstSeq).toBe(1);
      expect(v.events).toBe(v.chainEvents);
      expect(v.filters.all).toBe(true);
    });
  });

  describe('who may export, and what is refused', () => {
    it('auditors and Department admins; ISPs, analysts and approvers get 403', async () => {
      await download({ blockingRequestId: r2 }, admin);
      for (const token of [a.token, ispClient, analyst, staff.approver]) {
        const res = await exportCall({ all: 'true' }, token);
        expect(res.status).toBe(403);
      }
      await exportCall({ all: 'true' }, 'not-a-token').expect(401);
    });

    it('400 without a filter, for all=true with filters, bad values; 404 for unknown ids', async () => {
      const cases: [Record<string, string>, number, string][] = [
        [{}, 400, 'all'],
        [{ all: 'true', from: start.toISOString() }, 400, 'all'],
        [{ all: 'yes' }, 400, 'all'],
        [{ from: '2026-12-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, 400, 'to'],
        [{ from: '2026-11-01' }, 400, 'from'],
        [{ organizationId: 'nope' }, 400, 'organizationId'],
        [{ blockingRequestId: r1, lang: 'fr' }, 400, 'lang'],
        [{ blockingRequestId: r1, bom: '1' }, 400, 'bom'],
        [{ blockingRequestId: r1, cursor: 'x' }, 400, 'cursor'],
        [{ organizationId: randomUUID() }, 404, ''],
        [{ blockingRequestId: randomUUID() }, 404, ''],
      ];
      for (const [query, code, field] of cases) {
        const res = await exportCall(query);
        expect({ query, status: res.status, type: res.headers['content-type'] }).toEqual({
          query,
          status: code,
          type: 'application/problem+json; charset=utf-8',
        });
        if (field) {
          expect((res.body['invalid-params'] as { name: string }[]).map((p) => p.name)).toContain(
            field,
          );
        }
      }
    });
  });

  describe('tampered exports are refused, each with its own message', () => {
    let zip: string;
    let earlier: string;

    beforeAll(async () => {
      earlier = (await download({ blockingRequestId: r1 })).file;
      zip = (await download({ blockingRequestId: r1 })).file;
    }, 60_000);

    const jsonlEdit = (change: (text: string) => string) => (e: Map<string, Buffer>) =>
      editText(e, EVENTS_JSONL, change);

    it('an altered byte in events.jsonl, a removed line, altered events.csv or chain.csv', async () => {
      expect(
        await failureOf(
          await tamperedCopy(
            zip,
            file('jsonl'),
            jsonlEdit((s) => s.replace('"rejected"', '"Rejected"')),
          ),
        ),
      ).toBe('events.jsonl does not match its SHA-256 in the manifest: it was altered');
      const jsonl = (await readZip(zip)).get(EVENTS_JSONL)!;
      const removed = jsonl.toString('utf8').split('\n');
      const [line] = removed.splice(6, 1);
      expect(
        await failureOf(
          await tamperedCopy(zip, file('line'), (e) =>
            e.set(EVENTS_JSONL, Buffer.from(removed.join('\n'))),
          ),
        ),
      ).toBe(
        `events.jsonl has ${jsonl.length - Buffer.byteLength(line) - 1} bytes where the manifest says ${jsonl.length}: it was altered`,
      );
      expect(
        await failureOf(
          await tamperedCopy(zip, file('csv'), (e) =>
            editText(e, EVENTS_CSV, (s) => s.replace('rejected', 'Rejected')),
          ),
        ),
      ).toBe('events.csv does not match its SHA-256 in the manifest: it was altered');
      expect(
        await failureOf(
          await tamperedCopy(zip, file('chain'), (e) =>
            editText(e, CHAIN_CSV, (s) =>
              s.replace(
                /\n(\d+),([0-9a-f])/,
                (_m, seq: string, c: string) => `\n${seq},${c === '0' ? '1' : '0'}`,
              ),
            ),
          ),
        ),
      ).toBe('chain.csv does not match its SHA-256 in the manifest: it was altered');
    });

    const badSignature = async () =>
      `the manifest signature does not verify with audit key ${(await manifestOf(zip)).keyId}: manifest.json was altered after it was signed, or manifest.sig is not its signature`;

    it('an altered manifest (its range, a file’s hash): the signature fails', async () => {
      for (const change of [
        (m: ExportManifest) => {
          m.range.firstSeq += 1;
        },
        (m: ExportManifest) => {
          m.files[0].sha256 = '0'.repeat(64);
        },
      ]) {
        expect(
          await failureOf(
            await tamperedCopy(zip, file('manifest'), (e) => editManifest(e, change)),
          ),
        ).toBe(await badSignature());
      }
    });

    it('a replaced manifest signature: another export’s genuine one', async () => {
      const other = (await readZip(earlier)).get(MANIFEST_SIGNATURE)!;
      expect(
        await failureOf(
          await tamperedCopy(zip, file('signature'), (e) => e.set(MANIFEST_SIGNATURE, other)),
        ),
      ).toBe(await badSignature());
    });

    it('an older genuine checkpoint in place of the export’s', async () => {
      const older: SignedCheckpoint = (await manifestOf(earlier)).checkpoint;
      expect(older.size).toBeLessThan((await manifestOf(zip)).checkpoint.size);
      expect(
        await failureOf(
          await tamperedCopy(zip, file('checkpoint'), (e) =>
            editManifest(e, (m) => {
              m.checkpoint = older;
            }),
          ),
        ),
      ).toBe(await badSignature());
    });

    it('another public key than the one that signed it', async () => {
      const other = auditKeyPair();
      expect(await failureOf(zip, other.publicKey)).toBe(
        `the export was signed with audit key ${(await manifestOf(zip)).keyId}, but the public key given is key ${other.keyId}: verify with the Department's audit public key of that id`,
      );
    });

    it('a truncated ZIP', async () => {
      const cut = await truncatedCopy(zip, file('truncated'), 0.7);
      expect(await failureOf(cut)).toMatch(
        new RegExp(
          `^${path.basename(cut).replace('.', '\\.')} is not a readable ZIP archive \\(truncated or damaged\\): `,
        ),
      );
    });

    it('the command the package ships: exit 0 with a summary, 1 with the reason, 2 for misuse', async () => {
      if (!existsSync(BUILT_CLI))
        throw new Error(`${BUILT_CLI} is missing: run npm run build first`);
      const pem = path.join(dir, 'audit-public-key.pem');
      await writeFile(pem, publicKeyPem);
      const ok = await runCommand(process.execPath, [
        BIN,
        'audit-verify',
        zip,
        '--public-key',
        pem,
      ]);
      expect(ok).toMatchObject({ code: 0, stderr: '' });
      expect(ok.stdout).toContain(`audit export verified: ${zip}`);
      expect(ok.stdout).toContain(`blocking request ${r1}`);

      const tampered = await tamperedCopy(
        zip,
        file('cli'),
        jsonlEdit((s) => s.replace('"rejected"', '"Rejected"')),
      );
      const bad = await runCommand(process.execPath, [
        BIN,
        'audit-verify',
        tampered,
        '--public-key',
        publicKeyPem,
        '--json',
      ]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe(
        'audit export NOT verified: events.jsonl does not match its SHA-256 in the manifest: it was altered\n',
      );
      expect(JSON.parse(bad.stdout)).toEqual({
        ok: false,
        check: 'files',
        error: 'events.jsonl does not match its SHA-256 in the manifest: it was altered',
      });
      const misuse = await runCommand(process.execPath, [BIN, 'audit-verify', zip]);
      expect(misuse.code).toBe(2);
      expect(misuse.stderr).toContain('--public-key is required');

      // As the documentation says to run it, in the repository: npm 11 runs the project's own bin.
      const npx = await runCommand('npx', [
        '--no-install',
        'threat-exchange',
        'audit-verify',
        zip,
        '--public-key',
        pem,
      ]);
      expect(npx).toMatchObject({ code: 0 });
      expect(npx.stdout).toContain('audit export verified');
    }, 60_000);
  });
});
