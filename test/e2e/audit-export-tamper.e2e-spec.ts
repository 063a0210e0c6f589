import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { AuditKeysService } from '#src/audit/trail/audit-keys.service.js';
import { chainHash, eventDigest } from '#src/audit/trail/chain.js';
import { eventFields, type AuditEventColumns } from '#src/audit/trail/event-columns.js';
import { MANIFEST, type ExportManifest } from '#src/audit/export/export-format.js';
import { VerificationFailure, verifyExport } from '#src/audit/offline-verifier/verify-export.js';
import { readZip } from '#test/support/audit-exports.js';
import { freshDatabase, ownerQuery } from '#test/support/database-urls.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, status, unprotected, type Staff } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

interface Row extends AuditEventColumns {
  seq: string;
  at: Date;
  hash: Buffer;
}

/**
 * Somebody with the database's superuser rewrites the audit trail (triggers disabled), then an
 * auditor exports it: the verifier names what was done. On a database of its own: the chain is
 * left broken.
 */
describe('exports of an audit trail tampered with in the database', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let t: TestApp;
  let staff: Staff;
  let auditor: string;
  let publicKey: KeyObject;
  let dir: string;
  let n = 0;

  const owner = <T = Row>(sql: string, params: unknown[] = []) =>
    ownerQuery<T>(sql, params, fresh.url);
  /** Runs `change` with the append-only triggers off, as a superuser would. */
  const tamper = async (change: () => Promise<unknown>) => {
    // Nothing waits to be chained (a sealer moving it meanwhile would race the change).
    await t.sealAudit();
    await owner(`ALTER TABLE audit_events DISABLE TRIGGER USER`);
    try {
      await change();
    } finally {
      await owner(`ALTER TABLE audit_events ENABLE TRIGGER USER`);
    }
  };

  /** `count` indicators created over the API: their events' seq and time. */
  const newEvents = async (count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const res = await request(t.server)
        .post('/api/v1/indicators')
        .set('authorization', `Bearer ${staff.analyst}`)
        .send({ value: unprotected.domain() })
        .expect(status(201));
      ids.push(res.body.id as string);
    }
    await t.sealAudit();
    const rows = await owner<{ seq: string; at: Date }>(
      `SELECT seq::text, at FROM audit_events WHERE object_id = ANY($1) ORDER BY seq`,
      [ids],
    );
    return rows.map((r) => ({ seq: Number(r.seq), at: r.at.toISOString() }));
  };

  const exportFrom = async (from: string): Promise<string> => {
    const res = await request(t.server)
      .get('/api/v1/audit/exports')
      .query({ from })
      .set('authorization', `Bearer ${auditor}`)
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    const file = path.join(dir, `export-${++n}.zip`);
    await writeFile(file, res.body as Buffer);
    return file;
  };
  const manifestOf = async (zip: string) =>
    JSON.parse((await readZip(zip)).get(MANIFEST)!.toString('utf8')) as ExportManifest;
  const failureOf = async (zip: string, checkpoints?: ExportManifest['checkpoint'][]) => {
    try {
      await verifyExport(zip, { publicKey, checkpoints });
    } catch (error) {
      if (error instanceof VerificationFailure) return error.message;
      throw error;
    }
    throw new Error(`${zip} verified`);
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'audit-export-tamper-'));
    fresh = await freshDatabase();
    t = await createTestApp({ databaseUrl: fresh.url });
    staff = await departmentStaff(t.app);
    auditor = (await new Factories(t.app).loginAs('auditor')).token;
    const keys = t.app.get(AuditKeysService);
    const key = (await keys.publicKeys()).find((k) => k.keyId === keys.signing().keyId)!;
    publicKey = createPublicKey(key.pem);
    // A database of its own, migrated, and an application on it.
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await fresh.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('an edited row: its content no longer gives its digest', async () => {
    const events = await newEvents(3);
    await tamper(() =>
      owner(
        `UPDATE audit_events SET summary = summary || '{"value": "evil.example"}' WHERE seq = $1`,
        [events[1].seq],
      ),
    );
    const zip = await exportFrom(events[0].at);
    expect(await failureOf(zip)).toBe(
      `events.jsonl line 2: event ${events[1].seq} was altered: its content does not match its digest`,
    );
  });

  it('a time moved by microseconds: the exported time no longer gives its digest', async () => {
    const events = await newEvents(3);
    await tamper(() =>
      owner(`UPDATE audit_events SET at = at + interval '7 microseconds' WHERE seq = $1`, [
        events[1].seq,
      ]),
    );
    const zip = await exportFrom(events[0].at);
    expect(await failureOf(zip)).toBe(
      `events.jsonl line 2: event ${events[1].seq} was altered: its content does not match its digest`,
    );
  });

  it('a deleted row: a gap in the chain', async () => {
    const events = await newEvents(3);
    await tamper(() => owner(`DELETE FROM audit_events WHERE seq = $1`, [events[1].seq]));
    const zip = await exportFrom(events[0].at);
    const { range } = await manifestOf(zip);
    const line = events[2].seq - range.firstSeq + 1;
    expect(await failureOf(zip)).toBe(
      `chain.csv line ${line}: event ${events[1].seq} is missing (deleted?): the sequence jumps from ${events[0].seq} to ${events[2].seq}`,
    );
  });

  it('two rows swapped: the first of them does not follow its predecessor', async () => {
    const events = await newEvents(3);
    const [x, y] = [events[0].seq, events[1].seq];
    await tamper(async () => {
      await owner(`UPDATE audit_events SET seq = 9000000000000000 WHERE seq = $1`, [x]);
      await owner(`UPDATE audit_events SET seq = $1 WHERE seq = $2`, [x, y]);
      await owner(`UPDATE audit_events SET seq = $1 WHERE seq = 9000000000000000`, [y]);
    });
    const zip = await exportFrom(events[0].at);
    const { range } = await manifestOf(zip);
    expect(await failureOf(zip)).toBe(
      `chain.csv line ${x - range.firstSeq + 2}: event ${x} does not follow event ${x - 1}: its hash is not SHA-256(hash ${x - 1} ‖ digest ${x}) (events swapped, reordered or relinked)`,
    );
  });

  it('the tail cut after a checkpoint: the export alone cannot tell, a checkpoint held before can', async () => {
    const events = await newEvents(3);
    const before = await exportFrom(events[0].at);
    const held = (await manifestOf(before)).checkpoint;
    await expect(verifyExport(before, { publicKey })).resolves.toMatchObject({ events: 3 });
    await tamper(async () => {
      await owner(`DELETE FROM audit_events WHERE seq > $1`, [events[0].seq]);
      await owner(
        `UPDATE audit_head SET seq = $1, hash = (SELECT hash FROM audit_events WHERE seq = $1)`,
        [events[0].seq],
      );
    });
    const after = await exportFrom(events[0].at);
    // Consistent with itself: the checkpoint made for it signs the shortened chain.
    await expect(verifyExport(after, { publicKey })).resolves.toMatchObject({
      events: 1,
      checkpoint: { size: events[0].seq },
    });
    expect(await failureOf(after, [held])).toBe(
      `--checkpoint: the chain ends at event ${events[0].seq} but the checkpoint signed at ${held.time} covers ${held.size} events: events ${events[0].seq + 1}–${held.size} are missing (truncated)`,
    );
  });

  it('history rewritten with every hash recomputed: only a checkpoint held before shows it', async () => {
    const events = await newEvents(3);
    const before = await exportFrom(events[0].at);
    const held = (await manifestOf(before)).checkpoint;
    await tamper(async () => {
      const rows = await owner(
        `SELECT seq::text, at, actor_type, actor_id, organization_id, roles, action, object_type,
                object_id, summary, request_id, client_ip, hash
           FROM audit_events WHERE seq >= $1 ORDER BY seq`,
        [events[1].seq - 1],
      );
      let previous = rows[0].hash;
      for (const row of rows.slice(1)) {
        if (Number(row.seq) === events[1].seq) row.summary = { ...row.summary, value: 'x.example' };
        const digest = eventDigest(eventFields(row, row.at.toISOString()));
        previous = chainHash(previous, digest);
        await owner(`UPDATE audit_events SET summary = $2, digest = $3, hash = $4 WHERE seq = $1`, [
          row.seq,
          row.summary,
          digest,
          previous,
        ]);
      }
      await owner(`UPDATE audit_head SET hash = $1`, [previous]);
    });
    const after = await exportFrom(events[0].at);
    await expect(verifyExport(after, { publicKey })).resolves.toMatchObject({ events: 4 });
    expect(await failureOf(after, [held])).toBe(
      `--checkpoint: the hash at event ${held.size} differs from the head signed in the checkpoint of ${held.time}: events up to ${held.size} were rewritten`,
    );
  });
});
