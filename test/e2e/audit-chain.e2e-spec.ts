import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import { AuditService } from '#src/audit/trail/audit.service.js';
import { CheckpointSigner } from '#src/audit/trail/checkpoint-signer.js';
import {
  encodeCheckpointHeader,
  eventDigest,
  type SignedCheckpoint,
} from '#src/audit/trail/chain.js';
import { eventFields, type AuditEventColumns } from '#src/audit/trail/event-columns.js';
import { freshDatabase, ownerQuery } from '#test/support/database-urls.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, status, unprotected, type Staff } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

interface Verification {
  valid: boolean;
  fromSeq: number;
  toSeq: number;
  verifiedThrough: number;
  events: number;
  checkpointsChecked: number;
  head: { seq: number; hash: string };
  firstBreak: { kind: string; seq: number; message: string } | null;
}

/**
 * The chain on a database of its own (the tampering would break other files' events): written
 * by real API actions and by 50 concurrent writers, verified whole and by range, then tampered
 * with as a superuser with the triggers disabled — each tampering named by its own break — and
 * restored.
 */
describe('audit chain: append-only, dense under concurrency, verified, tamper-evident', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let t: TestApp;
  let staff: Staff;
  let auditor: string;
  let admin: string;
  const owner = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    ownerQuery<T>(sql, params, db.url);

  const verify = async (query: Record<string, string | number> = {}, token = auditor) =>
    (
      await request(t.server)
        .get('/api/v1/audit/verify')
        .query(query)
        .set('authorization', `Bearer ${token}`)
        .expect(status(200))
    ).body as Verification;

  const createIndicators = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await request(t.server)
        .post('/api/v1/indicators')
        .set('authorization', `Bearer ${staff.analyst}`)
        .send({ value: unprotected.domain() })
        .expect(status(201));
    }
  };

  /** Runs `tamper` with the audit triggers off, then turns them back on. */
  const asSuperuser = async (tamper: string[]) => {
    await owner(`ALTER TABLE audit_events DISABLE TRIGGER USER`);
    await owner(`ALTER TABLE audit_checkpoints DISABLE TRIGGER USER`);
    try {
      for (const sql of tamper) await owner(sql);
    } finally {
      await owner(`ALTER TABLE audit_events ENABLE TRIGGER USER`);
      await owner(`ALTER TABLE audit_checkpoints ENABLE TRIGGER USER`);
    }
  };

  beforeAll(async () => {
    db = await freshDatabase();
    t = await createTestApp({ databaseUrl: db.url, env: { DB_POOL_MAX: '60' } });
    const make = new Factories(t.app);
    staff = await departmentStaff(t.app);
    auditor = (await make.loginAs('auditor')).token;
    admin = (await make.loginAs('admin')).token;
    await createIndicators(5);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('chains every event: dense seq from 1, each hash over the previous one', async () => {
    const result = await verify();
    expect(result).toMatchObject({ valid: true, fromSeq: 1, firstBreak: null });
    expect(result.verifiedThrough).toBe(result.toSeq);
    expect(result.events).toBe(result.toSeq);
    const [{ n, max }] = await owner<{ n: string; max: string }>(
      `SELECT count(*) AS n, max(seq) AS max FROM audit_events`,
    );
    expect(Number(n)).toBe(result.toSeq);
    expect(Number(max)).toBe(result.toSeq);
    const [head] = await owner<{ seq: string; hash: Buffer }>(`SELECT seq, hash FROM audit_head`);
    expect(result.head).toEqual({ seq: Number(head.seq), hash: head.hash.toString('hex') });
    // Committed one after another (ids 1 to more than 10 so far), chained in that order.
    const ids = await owner<{ id: string }>(`SELECT id::text AS id FROM audit_events ORDER BY seq`);
    expect(ids.length).toBeGreaterThan(10);
    expect(ids.map((r) => Number(r.id))).toEqual(
      ids.map((r) => Number(r.id)).sort((a, b) => a - b),
    );
  });

  it('keeps the chain dense and valid with 50 concurrent writers and sealers racing', async () => {
    const dataSource = t.app.get(DataSource);
    const audit = t.app.get(AuditService);
    const before = (await verify()).toSeq;
    const rounds = 4;
    // Besides the app's own sealer (every 200 ms), two more seal on demand all along, as other
    // instances would: one sealer at a time holds the head, whoever it is.
    const sealers = [
      new AuditSealer(dataSource, t.config.audit),
      new AuditSealer(dataSource, t.config.audit),
    ];
    let writing = true;
    const sealing = sealers.map(async (sealer) => {
      while (writing) {
        await sealer.flush();
        await new Promise((r) => setTimeout(r, 3));
      }
    });
    // 50 transactions at once, each recording one to three events after a row write of its own
    // (a savepoint that rolls back drops its event), plus HTTP writes alongside.
    const writer = async (w: number) => {
      for (let r = 0; r < rounds; r++) {
        await dataSource.transaction(async (manager) => {
          await manager.query(`SELECT pg_sleep(0.001 * $1)`, [w % 5]);
          for (let e = 0; e <= w % 3; e++) {
            await audit.record(manager, {
              actor: 'system',
              action: 'test.concurrent_write',
              objectType: 'writer',
              objectId: `${w}`,
              summary: { round: r, event: e },
            });
          }
        });
      }
    };
    await Promise.all([...Array.from({ length: 50 }, (_, w) => writer(w)), createIndicators(10)]);
    writing = false;
    await Promise.all(sealing);
    const expected =
      50 * rounds +
      rounds * Array.from({ length: 50 }, (_, w) => w % 3).reduce((a, b) => a + b, 0) +
      10;
    const result = await verify();
    expect(result.firstBreak).toBeNull();
    expect(result.toSeq - before).toBe(expected);
    const [{ n }] = await owner<{ n: string }>(
      `SELECT count(*) AS n FROM audit_events WHERE action = 'test.concurrent_write'`,
    );
    expect(Number(n)).toBe(expected - 10);
    // Nothing left behind.
    expect(await owner(`SELECT 1 FROM audit_pending`)).toEqual([]);
  });

  it('chains committed events on its own, every AUDIT_SEAL_INTERVAL_MS, with no reader asking', async () => {
    const audit = t.app.get(AuditService);
    await audit.record(undefined, {
      actor: 'system',
      action: 'test.sealed_in_the_background',
      objectType: 'test',
      objectId: null,
    });
    // Read as the owner, without flush(): only the app's periodic round can chain it.
    const deadline = Date.now() + 10_000;
    let rows: { seq: string }[] = [];
    while (rows.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      rows = await owner<{ seq: string }>(
        `SELECT seq::text AS seq FROM audit_events WHERE action = 'test.sealed_in_the_background'`,
      );
    }
    expect(rows).toHaveLength(1);
    expect(await owner(`SELECT 1 FROM audit_pending`)).toEqual([]);
  });

  it('chains, in order, a transaction with more events than one INSERT takes (4,000)', async () => {
    const dataSource = t.app.get(DataSource);
    const audit = t.app.get(AuditService);
    const before = (await verify()).toSeq;
    await dataSource.transaction(async (manager) => {
      for (let i = 0; i < 4321; i++) {
        await audit.record(manager, {
          actor: 'system',
          action: 'test.many',
          objectType: 'test',
          objectId: `${i}`,
        });
      }
    });
    const result = await verify();
    expect(result).toMatchObject({ valid: true, toSeq: before + 4321 });
    const rows = await owner<{ object_id: string }>(
      `SELECT object_id FROM audit_events WHERE seq > $1 ORDER BY seq`,
      [before],
    );
    expect(rows.map((r) => Number(r.object_id))).toEqual(Array.from({ length: 4321 }, (_, i) => i));
  });

  it('drops the events of a rolled-back transaction and of a rolled-back savepoint', async () => {
    const dataSource = t.app.get(DataSource);
    const audit = t.app.get(AuditService);
    const before = (await verify()).toSeq;
    await expect(
      dataSource.transaction(async (manager) => {
        await audit.record(manager, {
          actor: 'system',
          action: 'test.rolled_back',
          objectType: 'test',
          objectId: null,
        });
        throw new Error('nope');
      }),
    ).rejects.toThrow('nope');
    await dataSource.transaction(async (manager) => {
      await audit.record(manager, {
        actor: 'system',
        action: 'test.kept',
        objectType: 'test',
        objectId: null,
      });
      await manager
        .transaction(async (inner) => {
          await audit.record(inner, {
            actor: 'system',
            action: 'test.savepoint_rolled_back',
            objectType: 'test',
            objectId: null,
          });
          throw new Error('inner');
        })
        .catch(() => undefined);
      await manager.transaction(async (inner) => {
        await audit.record(inner, {
          actor: 'system',
          action: 'test.savepoint_kept',
          objectType: 'test',
          objectId: null,
        });
      });
    });
    await t.sealAudit();
    const actions = await owner<{ action: string }>(
      `SELECT action FROM audit_events WHERE seq > $1 ORDER BY seq`,
      [before],
    );
    expect(actions.map((a) => a.action)).toEqual(['test.kept', 'test.savepoint_kept']);
    expect((await verify()).valid).toBe(true);
  });

  it('lets the service role only read and append: UPDATE, DELETE and TRUNCATE are refused', async () => {
    const dataSource = t.app.get(DataSource);
    const [{ current_user: role }] =
      await dataSource.query<{ current_user: string }[]>(`SELECT current_user`);
    expect(role).toBe('threat_exchange_app');
    for (const sql of [
      `UPDATE audit_events SET action = 'x' WHERE seq = 1`,
      `DELETE FROM audit_events WHERE seq = 1`,
      `TRUNCATE audit_events`,
      `UPDATE audit_checkpoints SET size = 0`,
      `DELETE FROM audit_checkpoints`,
      `ALTER TABLE audit_events DISABLE TRIGGER USER`,
      `SET session_replication_role = replica`,
      `UPDATE audit_pending SET action = 'x'`,
      `TRUNCATE audit_pending`,
      `ALTER TABLE audit_pending DISABLE TRIGGER USER`,
    ]) {
      await expect(dataSource.query(sql)).rejects.toThrow(/permission denied|must be owner/);
    }
    // Even the owner (and a superuser) is refused by the triggers while they are on.
    await expect(owner(`UPDATE audit_events SET action = 'x' WHERE seq = 1`)).rejects.toThrow(
      /audit_events is append-only: UPDATE refused/,
    );
    await expect(owner(`DELETE FROM audit_events WHERE seq = 1`)).rejects.toThrow(
      /audit_events is append-only: DELETE refused/,
    );
    await expect(owner(`TRUNCATE audit_events`)).rejects.toThrow(
      /audit_events is append-only: TRUNCATE refused/,
    );
    await expect(owner(`DELETE FROM audit_checkpoints`)).rejects.toThrow(
      /audit_checkpoints is append-only: DELETE refused/,
    );
    expect((await verify()).valid).toBe(true);
  });

  it('keeps an event that is not chained yet: nobody deletes, edits or truncates it', async () => {
    const dataSource = t.app.get(DataSource);
    const audit = t.app.get(AuditService);
    // Written and committed, not sealed: this connection holds the head, so no sealer can run.
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query(`SELECT 1 FROM audit_head FOR UPDATE`);
      await audit.record(undefined, {
        actor: 'system',
        action: 'test.not_chained_yet',
        objectType: 'test',
        objectId: null,
      });
      const [{ id }] = await owner<{ id: string }>(
        `SELECT id::text AS id FROM audit_pending WHERE action = 'test.not_chained_yet'`,
      );
      // The service's role may delete only what is chained already (the sealer's own move).
      await expect(
        dataSource.query(`DELETE FROM audit_pending WHERE id = $1`, [id]),
      ).rejects.toThrow(`audit_pending: event ${id} is not chained yet: DELETE refused`);
      await expect(dataSource.query(`UPDATE audit_pending SET action = 'x'`)).rejects.toThrow(
        /permission denied/,
      );
      await expect(owner(`UPDATE audit_pending SET action = 'x'`)).rejects.toThrow(
        /audit_pending: UPDATE refused/,
      );
      await expect(owner(`DELETE FROM audit_pending`)).rejects.toThrow(/is not chained yet/);
      await expect(owner(`TRUNCATE audit_pending`)).rejects.toThrow(
        /audit_pending is append-only: TRUNCATE refused/,
      );
      // Nor by the guard's blind spots: a temporary table standing in for audit_events in the
      // session's search path, or a row of audit_events made up with the event's id.
      const session = dataSource.createQueryRunner();
      await session.connect();
      try {
        await session.query(`CREATE TEMP TABLE audit_events (id bigint, digest bytea)`);
        await session.query(
          `INSERT INTO pg_temp.audit_events SELECT id, digest FROM audit_pending WHERE id = $1`,
          [id],
        );
        await expect(
          session.query(`DELETE FROM audit_pending WHERE id = $1`, [id]),
        ).rejects.toThrow(/is not chained yet/);
        await session.query(`DROP TABLE pg_temp.audit_events`);
        await session.startTransaction();
        await session.query(
          `INSERT INTO audit_events (id, seq, at, actor_type, actor_id, organization_id, roles,
                                     action, object_type, object_id, summary, request_id,
                                     client_ip, digest, hash) OVERRIDING SYSTEM VALUE
             SELECT id, 999999999, at, actor_type, actor_id, organization_id, roles, action,
                    object_type, object_id, summary, request_id, client_ip,
                    '\\x${'00'.repeat(32)}', '\\x${'00'.repeat(32)}'
               FROM audit_pending WHERE id = $1`,
          [id],
        );
        await expect(
          session.query(`DELETE FROM audit_pending WHERE id = $1`, [id]),
        ).rejects.toThrow(/is not chained yet/);
      } finally {
        if (session.isTransactionActive) await session.rollbackTransaction();
        await session.release();
      }
      // A writer chooses no id (they come from the sequence) and cannot rewind the sequence.
      const at = new Date().toISOString();
      const digest = eventDigest({
        ...eventFields(
          {
            actor_type: 'system',
            actor_id: null,
            organization_id: null,
            roles: [],
            action: 'test.chosen_id',
            object_type: 'test',
            object_id: null,
            summary: {},
            request_id: null,
            client_ip: null,
          },
          at,
        ),
      });
      await dataSource.query(
        `INSERT INTO audit_pending (id, at, actor_type, roles, action, object_type, summary, digest)
         VALUES (1, $1, 'system', '{}', 'test.chosen_id', 'test', '{}', $2)`,
        [at, digest],
      );
      const [chosen] = await owner<{ id: string }>(
        `SELECT id::text AS id FROM audit_pending WHERE action = 'test.chosen_id'`,
      );
      expect(Number(chosen.id)).toBeGreaterThan(Number(id));
      await expect(
        dataSource.query(`SELECT setval(pg_get_serial_sequence('audit_events', 'id'), 1)`),
      ).rejects.toThrow(/permission denied/);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    await t.sealAudit();
    const [chained] = await owner<{ seq: string }>(
      `SELECT seq FROM audit_events WHERE action = 'test.not_chained_yet'`,
    );
    expect(Number(chained.seq)).toBeGreaterThan(0);
    expect(await owner(`SELECT 1 FROM audit_pending`)).toEqual([]);
    expect((await verify()).valid).toBe(true);
  });

  it('verifies a range, anchored at the event before it', async () => {
    const whole = await verify();
    const range = await verify({ fromSeq: 3, toSeq: whole.toSeq - 2 });
    expect(range).toMatchObject({
      valid: true,
      fromSeq: 3,
      toSeq: whole.toSeq - 2,
      verifiedThrough: whole.toSeq - 2,
      events: whole.toSeq - 4,
    });
  });

  it('refuses bad ranges and callers other than auditors and admins', async () => {
    const end = (await verify()).toSeq;
    for (const query of [
      { fromSeq: 0 },
      { fromSeq: 'x' },
      { toSeq: end + 1000 },
      { fromSeq: 5, toSeq: 4 },
      { checkpoint: 'not base64url!' },
      { checkpoint: 'bm90IGpzb24' },
    ]) {
      const res = await request(t.server)
        .get('/api/v1/audit/verify')
        .query(query)
        .set('authorization', `Bearer ${auditor}`);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect((await verify({}, admin)).valid).toBe(true);
    await request(t.server)
      .get('/api/v1/audit/verify')
      .set('authorization', `Bearer ${staff.analyst}`)
      .expect(status(403));
  });

  describe('tampering as a superuser with the triggers disabled', () => {
    it('names an edited event: its content no longer matches its digest', async () => {
      const seq = 4;
      const [row] = await owner<{ summary: unknown }>(
        `SELECT summary FROM audit_events WHERE seq = $1`,
        [seq],
      );
      await asSuperuser([
        `UPDATE audit_events SET summary = summary || '{"value":"tampered.example"}' WHERE seq = ${seq}`,
      ]);
      const result = await verify();
      expect(result.valid).toBe(false);
      expect(result.firstBreak).toEqual({
        kind: 'content',
        seq,
        message: `event ${seq} was altered: its content does not match its digest`,
      });
      expect(result.verifiedThrough).toBe(seq - 1);
      await asSuperuser([
        `UPDATE audit_events SET summary = '${JSON.stringify(row.summary)}'::jsonb WHERE seq = ${seq}`,
      ]);
      expect((await verify()).valid).toBe(true);
    });

    it('names an edit that also recomputed the digest: the link to the previous event breaks', async () => {
      const seq = 6;
      const [row] = await owner<{ action: string; digest: Buffer }>(
        `SELECT action, digest FROM audit_events WHERE seq = $1`,
        [seq],
      );
      // The forger recomputes the digest of the edited content but cannot relink what follows
      // without rewriting every later hash (and the signed checkpoints).
      const { eventDigest } = await import('#src/audit/trail/chain.js');
      const [stored] = await owner<AuditEventColumns & { at_text: string }>(
        `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at_text, *
           FROM audit_events WHERE seq = $1`,
        [seq],
      );
      const forged = eventDigest({
        ...eventFields(stored, stored.at_text),
        action: 'indicator.delete',
      });
      await asSuperuser([
        `UPDATE audit_events SET action = 'indicator.delete', digest = '\\x${forged.toString('hex')}' WHERE seq = ${seq}`,
      ]);
      const result = await verify();
      expect(result.firstBreak).toMatchObject({ kind: 'link', seq });
      expect(result.firstBreak!.message).toMatch(
        new RegExp(`^event ${seq} does not follow event ${seq - 1}: its hash is not`),
      );
      await asSuperuser([
        `UPDATE audit_events SET action = '${row.action}', digest = '\\x${row.digest.toString('hex')}' WHERE seq = ${seq}`,
      ]);
      expect((await verify()).valid).toBe(true);
    });

    it('names a deleted event: the sequence has a gap', async () => {
      const seq = 8;
      await asSuperuser([
        `CREATE TABLE saved_event AS SELECT * FROM audit_events WHERE seq = ${seq}`,
        `DELETE FROM audit_events WHERE seq = ${seq}`,
      ]);
      const result = await verify();
      expect(result.firstBreak).toEqual({
        kind: 'gap',
        seq,
        message: `event ${seq} is missing (deleted?): the sequence jumps from ${seq - 1} to ${seq + 1}`,
      });
      await asSuperuser([
        `INSERT INTO audit_events OVERRIDING SYSTEM VALUE SELECT * FROM saved_event`,
        `DROP TABLE saved_event`,
      ]);
      expect((await verify()).valid).toBe(true);
    });

    it('names two swapped events: the first one no longer follows its predecessor', async () => {
      const [a, b] = [10, 11];
      const swap = [
        `UPDATE audit_events SET seq = 999999999 WHERE seq = ${a}`,
        `UPDATE audit_events SET seq = ${a} WHERE seq = ${b}`,
        `UPDATE audit_events SET seq = ${b} WHERE seq = 999999999`,
      ];
      await asSuperuser(swap);
      const result = await verify();
      expect(result.firstBreak).toMatchObject({ kind: 'link', seq: a });
      expect(result.firstBreak!.message).toContain('events swapped, reordered or relinked');
      await asSuperuser(swap);
      expect((await verify()).valid).toBe(true);
    });

    it('names a tail truncated after a checkpoint, even with the head row moved back', async () => {
      const checkpoints = t.app.get(CheckpointSigner);
      const signed: SignedCheckpoint = await checkpoints.create('interval');
      await createIndicators(3);
      // Chained before the tampering (a sealer moving them meanwhile would race it).
      await t.sealAudit();
      const cut = signed.size - 2;
      await asSuperuser([
        `CREATE TABLE saved_tail AS SELECT * FROM audit_events WHERE seq > ${cut}`,
        `DELETE FROM audit_events WHERE seq > ${cut}`,
        `UPDATE audit_head SET seq = ${cut}, hash = (SELECT hash FROM audit_events WHERE seq = ${cut})`,
      ]);
      const result = await verify();
      expect(result.firstBreak).toEqual({
        kind: 'truncated',
        seq: cut + 1,
        message: `the chain ends at event ${cut} but the checkpoint signed at ${signed.time} covers ${signed.size} events: events ${cut + 1}–${signed.size} are missing (truncated)`,
      });
      // Removing the checkpoints too hides it from the database alone, not from a copy an ISP
      // kept (the X-Audit-Checkpoint header of a feed response).
      await asSuperuser([
        `CREATE TABLE saved_checkpoints AS SELECT * FROM audit_checkpoints WHERE size > ${cut}`,
        `DELETE FROM audit_checkpoints WHERE size > ${cut}`,
      ]);
      expect((await verify()).valid).toBe(true);
      const held = await verify({ checkpoint: encodeCheckpointHeader(signed) });
      expect(held.firstBreak).toMatchObject({ kind: 'truncated', seq: cut + 1 });
      await asSuperuser([
        `INSERT INTO audit_events OVERRIDING SYSTEM VALUE SELECT * FROM saved_tail`,
        `INSERT INTO audit_checkpoints OVERRIDING SYSTEM VALUE SELECT * FROM saved_checkpoints`,
        `UPDATE audit_head SET (seq, hash) = (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1)`,
        `DROP TABLE saved_tail`,
        `DROP TABLE saved_checkpoints`,
      ]);
      expect((await verify()).valid).toBe(true);
      expect((await verify({ checkpoint: encodeCheckpointHeader(signed) })).valid).toBe(true);
    });

    it('names a rewritten history that a signed checkpoint covers', async () => {
      const checkpoints = t.app.get(CheckpointSigner);
      const signed = await checkpoints.create('interval');
      // A full rewrite from event 2 on: every digest and hash recomputed, so the walk itself is
      // consistent; only the signed head tells.
      const { chainHash, eventDigest } = await import('#src/audit/trail/chain.js');
      const rows = await owner<AuditEventColumns & { seq: string; at_text: string }>(
        `SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at_text, *
           FROM audit_events ORDER BY seq`,
      );
      let previous: Buffer = Buffer.alloc(32);
      const updates: string[] = [`CREATE TABLE saved_all AS SELECT * FROM audit_events`];
      for (const r of rows) {
        const action = Number(r.seq) === 2 ? 'user.rewritten' : r.action;
        const digest = eventDigest({ ...eventFields(r, r.at_text), action });
        previous = chainHash(previous, digest);
        if (Number(r.seq) >= 2) {
          updates.push(
            `UPDATE audit_events SET action = '${action}', digest = '\\x${digest.toString('hex')}', hash = '\\x${previous.toString('hex')}' WHERE seq = ${r.seq}`,
          );
        }
      }
      updates.push(`UPDATE audit_head SET hash = '\\x${previous.toString('hex')}'`);
      await asSuperuser([updates.join(';\n')]);
      const result = await verify();
      expect(result.valid).toBe(false);
      expect(result.firstBreak).toMatchObject({ kind: 'checkpoint' });
      expect(result.firstBreak!.message).toMatch(
        /^the hash at event \d+ differs from the head signed in the checkpoint of .*: events up to \d+ were rewritten$/,
      );
      await asSuperuser([
        `UPDATE audit_events e SET action = s.action, digest = s.digest, hash = s.hash
           FROM saved_all s WHERE s.seq = e.seq`,
        `UPDATE audit_head SET (seq, hash) = (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1)`,
        `DROP TABLE saved_all`,
      ]);
      expect((await verify()).valid).toBe(true);
      expect(signed.size).toBeGreaterThan(2);
    });

    it('names a forged checkpoint and a head row moved by hand', async () => {
      const end = (await verify()).toSeq;
      await asSuperuser([
        `INSERT INTO audit_checkpoints (size, head, time, key_id, signature, reason)
         SELECT size, head, time + interval '1 second', key_id, signature, reason
           FROM audit_checkpoints ORDER BY id DESC LIMIT 1`,
      ]);
      const forged = await verify();
      expect(forged.firstBreak).toMatchObject({ kind: 'checkpoint' });
      expect(forged.firstBreak!.message).toMatch(
        /^checkpoint \d+ \(size \d+, .*\) does not carry a valid signature of an audit key: it was forged or altered$/,
      );
      await asSuperuser([
        `DELETE FROM audit_checkpoints WHERE id = (SELECT max(id) FROM audit_checkpoints)`,
      ]);
      expect((await verify()).valid).toBe(true);
      await owner(`UPDATE audit_head SET seq = seq - 1`);
      const moved = await verify();
      expect(moved.firstBreak).toEqual({
        kind: 'head',
        seq: end,
        message: `the head row (event ${end - 1}) does not match the chain's end (event ${end}): it was moved by hand`,
      });
      await owner(`UPDATE audit_head SET seq = seq + 1`);
      expect((await verify()).valid).toBe(true);
    });
  });
});
