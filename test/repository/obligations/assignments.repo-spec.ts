import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource, EntityManager } from 'typeorm';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import { AssignmentsRepository } from '#src/obligations/assignments/assignments.repository.js';
import { ConfirmationsRepository } from '#src/obligations/assignments/confirmations.repository.js';
import { ReceiptsRepository } from '#src/obligations/assignments/receipts.repository.js';
import { repositoryDataSource, rolledBack, Rows } from '#test/support/repository-db.js';

/**
 * Assignments (made at publication, one per ISP) with the deadline scheduler's claims,
 * confirmations and feed receipts.
 */
describe('assignments, confirmations, receipts and deadline claims', () => {
  let ds: DataSource;
  let rows: Rows;
  let assignments: AssignmentsRepository;
  let confirmations: ConfirmationsRepository;
  let receipts: ReceiptsRepository;
  const writer = new FeedWriter();
  let department: { id: string };
  let creator: { id: string };

  beforeAll(async () => {
    ds = await repositoryDataSource();
    rows = new Rows(ds);
    assignments = new AssignmentsRepository(ds);
    confirmations = new ConfirmationsRepository(ds);
    receipts = new ReceiptsRepository(ds);
    department = await rows.organization('department');
    creator = await rows.user(department.id);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  /** Publishes to the ISPs as the service does: feed changes, then one assignment each. */
  async function publishWithAssignments(requestId: string, isps: string[]) {
    return ds.transaction(async (m) => {
      const written = await writer.publish(m, requestId, isps);
      await assignments.insertForPublication(
        m,
        requestId,
        written.publishedTo,
        new Date('2031-01-01Z'),
      );
      return written;
    });
  }

  it('each assignment records the last version written to its own ISP’s feed', async () => {
    const [ispA, ispB] = [await rows.organization(), await rows.organization()];
    const [x, y] = [await rows.indicator(), await rows.indicator()];
    // ispB already carries y: the publication adds only x to its feed.
    const earlier = await rows.request(department, creator.id, { items: [{ indicatorId: y.id }] });
    await publishWithAssignments(earlier.id, [ispB.id]);
    const request = await rows.request(department, creator.id, {
      items: [{ indicatorId: x.id }, { indicatorId: y.id }],
    });
    const written = await publishWithAssignments(request.id, [ispA.id, ispB.id]);

    const lastChange = async (isp: string, requestId: string) => {
      const [row] = await ds.query<{ v: string | null }[]>(
        `SELECT max(version) AS v FROM feed_changes WHERE organization_id = $1 AND request_id = $2`,
        [isp, requestId],
      );
      return Number(row.v);
    };
    const feedVersionOf = async (requestId: string, isp: string) => {
      const [summary] = await assignments.summariesOfRequest(requestId, isp);
      return Number((await assignments.findVisible(summary.id, {}))!.feed_version);
    };
    expect(await feedVersionOf(request.id, ispA.id)).toBe(await lastChange(ispA.id, request.id));
    expect(await feedVersionOf(request.id, ispB.id)).toBe(await lastChange(ispB.id, request.id));
    expect(await lastChange(ispA.id, request.id)).toBeLessThanOrEqual(written.toVersion);
    // An ISP whose feed needed no change holds the version the publication started from.
    const noChange = await rows.request(department, creator.id, { items: [{ indicatorId: y.id }] });
    const unchanged = await publishWithAssignments(noChange.id, [ispB.id]);
    expect(unchanged.added).toBe(0);
    expect(await feedVersionOf(noChange.id, ispB.id)).toBe(unchanged.fromVersion);
    expect(await assignments.organizationIdsOfRequest(ds.manager, request.id)).toEqual(
      [ispA.id, ispB.id].sort(),
    );

    // A second assignment for the same request and ISP is refused by the schema.
    await expect(
      ds.transaction((m) =>
        assignments.insertForPublication(
          m,
          request.id,
          [{ organizationId: ispA.id, version: written.fromVersion }],
          new Date(),
        ),
      ),
    ).rejects.toThrow(/assignments_request_org_key/);
  });

  it('withdrawing a request closes only its open assignments', async () => {
    const request = await rows.request(department, creator.id);
    const open = await rows.assignment(request.id, (await rows.organization()).id);
    const applied = await rows.assignment(request.id, (await rows.organization()).id, {
      status: 'applied',
    });
    await ds.transaction((m) => assignments.withdrawOpen(m, request.id));
    const statuses = new Map(
      (await assignments.summariesOfRequest(request.id)).map((a) => [a.id, a.status] as const),
    );
    expect(statuses.get(open.id)).toBe('withdrawn');
    expect(statuses.get(applied.id)).toBe('applied');
    expect(await ds.transaction((m) => assignments.openCount(m, request.id))).toBe(0);
  });

  it('a feed receipt’s items say what the ISP’s feed carried at that version', async () => {
    const isp = await rows.organization();
    const [carried, heldBack] = [
      await rows.indicator(),
      await rows.indicator({ type: 'sha1', value: randomBytes(20).toString('hex') }),
    ];
    const request = await rows.request(department, creator.id, {
      items: [{ indicatorId: carried.id }, { indicatorId: heldBack.id }],
    });
    const written = await publishWithAssignments(request.id, [isp.id]);
    const [assignment] = await assignments.summariesOfRequest(request.id, isp.id);

    const items = await rolledBack(ds, async (m: EntityManager) => {
      const confirmationId = await confirmations.insert(m, {
        assignmentId: assignment.id,
        organizationId: isp.id,
        status: 'partially_applied',
        reason: null,
        appliedAt: new Date(),
        mechanism: 'rpz',
        evidence: null,
        evidenceSha256: null,
        receiptId: null,
        actorType: 'user',
        actorId: creator.id,
        at: new Date(),
      });
      await confirmations.insertItemsFromFeed(m, confirmationId, {
        requestId: request.id,
        organizationId: isp.id,
        version: written.toVersion,
      });
      return m.query<{ indicator_id: string; outcome: string; reason: string | null }[]>(
        `SELECT indicator_id, outcome, reason FROM confirmation_items WHERE confirmation_id = $1`,
        [confirmationId],
      );
    });
    const byId = new Map(items.map((i) => [i.indicator_id, i]));
    expect(byId.get(carried.id)).toMatchObject({ outcome: 'applied', reason: null });
    expect(byId.get(heldBack.id)).toMatchObject({
      outcome: 'not_applicable',
      reason: `not in your feed at version ${written.toVersion}`,
    });
  });

  it('confirmations are read back oldest first, one by its assignment, with their items', async () => {
    const isp = await rows.organization();
    const [a, b] = [await rows.indicator(), await rows.indicator()];
    const request = await rows.request(department, creator.id, {
      items: [{ indicatorId: a.id }, { indicatorId: b.id }],
    });
    const assignment = await rows.assignment(request.id, isp.id);
    const other = await rows.assignment((await rows.request(department, creator.id)).id, isp.id);
    const at = new Date('2031-02-01T00:00:00Z');
    const confirm = (m: EntityManager, status: 'rejected' | 'partially_applied') =>
      confirmations.insert(m, {
        assignmentId: assignment.id,
        organizationId: isp.id,
        status,
        reason: status === 'rejected' ? 'no' : null,
        appliedAt: status === 'rejected' ? null : at,
        mechanism: null,
        evidence: null,
        evidenceSha256: null,
        receiptId: null,
        actorType: 'user',
        actorId: creator.id,
        at,
      });
    const [first, second] = await ds.transaction(async (m) => {
      const ids = [await confirm(m, 'rejected'), await confirm(m, 'partially_applied')];
      await confirmations.insertItems(m, ids[1], [
        { indicatorId: a.id, outcome: 'applied', reason: null },
        { indicatorId: b.id, outcome: 'not_applicable', reason: 'held back' },
      ]);
      await confirmations.insertItems(m, ids[0], []); // nothing to write
      return ids;
    });
    const all = await confirmations.forAssignment(assignment.id);
    expect(all.map((c) => c.id)).toEqual([first, second]);
    expect(all[1]).toMatchObject({ status: 'partially_applied', organization_id: isp.id });
    expect((await confirmations.find(assignment.id, second))?.id).toBe(second);
    expect(await confirmations.find(other.id, second)).toBeNull();
    const items = await confirmations.items([first, second]);
    // By indicator value, then id.
    const expected = [
      { value: a.value, row: [second, a.id, 'applied', null] },
      { value: b.value, row: [second, b.id, 'not_applicable', 'held back'] },
    ].sort((x, y) => (x.value < y.value ? -1 : 1));
    expect(items.map((i) => [i.confirmation_id, i.indicator_id, i.outcome, i.reason])).toEqual(
      expected.map((e) => e.row),
    );
  });

  it('confirmations given at the same instant are still ordered as accepted', async () => {
    const isp = await rows.organization();
    const request = await rows.request(department, creator.id);
    const assignment = await rows.assignment(request.id, isp.id);
    const at = new Date('2031-01-01T00:00:00Z');
    const times = await rolledBack(ds, async (m) => {
      for (const status of ['rejected', 'applied', 'applied'] as const) {
        await confirmations.insert(m, {
          assignmentId: assignment.id,
          organizationId: isp.id,
          status,
          reason: status === 'rejected' ? 'no' : null,
          appliedAt: status === 'rejected' ? null : at,
          mechanism: null,
          evidence: null,
          evidenceSha256: null,
          receiptId: null,
          actorType: 'user',
          actorId: creator.id,
          at,
        });
      }
      return m.query<{ t: string }[]>(
        `SELECT created_at::text AS t FROM confirmations WHERE assignment_id = $1 ORDER BY created_at`,
        [assignment.id],
      );
    });
    expect(new Set(times.map((r) => r.t)).size).toBe(3);
  });

  it('the schema refuses a rejection without a reason and an application without a time', async () => {
    const isp = await rows.organization();
    const request = await rows.request(department, creator.id);
    const assignment = await rows.assignment(request.id, isp.id);
    const base = {
      assignmentId: assignment.id,
      organizationId: isp.id,
      mechanism: null,
      evidence: null,
      evidenceSha256: null,
      receiptId: null,
      actorType: 'user' as const,
      actorId: creator.id,
      at: new Date(),
    };
    await expect(
      rolledBack(ds, (m) =>
        confirmations.insert(m, {
          ...base,
          status: 'rejected',
          reason: null,
          appliedAt: null,
        }),
      ),
    ).rejects.toThrow(/confirmations_reason_check/);
    await expect(
      rolledBack(ds, (m) =>
        confirmations.insert(m, {
          ...base,
          status: 'applied',
          reason: null,
          appliedAt: null,
        }),
      ),
    ).rejects.toThrow(/confirmations_applied_at_check/);
  });

  it('an ISP’s scope and a filter naming another organization find nothing', async () => {
    const [ispA, ispB] = [await rows.organization(), await rows.organization()];
    const request = await rows.request(department, creator.id);
    const a = await rows.assignment(request.id, ispA.id);
    await rows.assignment(request.id, ispB.id);
    const now = new Date();
    expect(
      (
        await assignments.listPage(
          { requestId: request.id },
          { organizationId: ispA.id },
          now,
          undefined,
          10,
        )
      ).map((r) => r.id),
    ).toEqual([a.id]);
    expect(
      await assignments.listPage(
        { requestId: request.id, organizationId: ispB.id },
        { organizationId: ispA.id },
        now,
        undefined,
        10,
      ),
    ).toEqual([]);
    expect(
      await assignments.listPage({ requestId: request.id }, {}, now, undefined, 10),
    ).toHaveLength(2);
    expect(await assignments.findVisible(a.id, { organizationId: ispB.id })).toBeNull();
  });

  it('the open assignments a feed version covers, in request order', async () => {
    const isp = await rows.organization();
    const covered = await rows.request(department, creator.id);
    const later = await rows.request(department, creator.id);
    const draft = await rows.request(department, creator.id, { status: 'draft' });
    const a = await rows.assignment(covered.id, isp.id, { feedVersion: 10 });
    await rows.assignment(later.id, isp.id, { feedVersion: 12 });
    await rows.assignment(draft.id, isp.id, { feedVersion: 5 });
    const found = await assignments.coveredOpen(ds.manager, isp.id, 11);
    expect(found.map((f) => f.id)).toEqual([a.id]);
    expect(
      (await assignments.coveredOpen(ds.manager, isp.id, 12)).map((f) => f.request_id),
    ).toEqual([covered.id, later.id].sort());
  });

  describe('feed receipts', () => {
    const pull = (isp: string, version: number, status: number, sha256: string | null) =>
      ds.query(
        `INSERT INTO feed_pulls (organization_id, actor_type, actor_id, format, to_version, status, sha256)
         VALUES ($1, 'user', $2, 'txt', $3, $4, $5)`,
        [isp, creator.id, version, status, sha256],
      );

    it('a version was served when a pull reached it; a hash only for a full answer of that version and format', async () => {
      const isp = await rows.organization();
      const sha = randomBytes(32).toString('hex');
      await pull(isp.id, 10, 200, sha);
      await pull(isp.id, 12, 304, null);
      await pull(isp.id, 20, 500, null);
      expect(await receipts.served(isp.id, 12)).toBe(true);
      expect(await receipts.served(isp.id, 13)).toBe(false); // the 500 served nothing
      expect(await receipts.servedWithHash(isp.id, 10, 'txt', sha)).toBe(true);
      expect(await receipts.servedWithHash(isp.id, 10, 'csv', sha)).toBe(false);
      expect(await receipts.servedWithHash(isp.id, 12, 'txt', sha)).toBe(false);
    });

    it('receipts: version ≥ 1 and a hex SHA-256, listed newest first, flagged ones apart', async () => {
      const isp = await rows.organization();
      const receipt = (version: number, hashCheck: 'matched' | 'mismatch', sha256: string | null) =>
        ds.transaction((m) =>
          receipts.insert(m, {
            organizationId: isp.id,
            version,
            format: 'txt',
            appliedAt: new Date(),
            mechanism: 'rpz',
            evidence: null,
            sha256,
            hashCheck,
            actorType: 'user',
            actorId: creator.id,
          }),
        );
      await expect(receipt(0, 'matched', null)).rejects.toThrow(/feed_receipts_version_check/);
      await expect(receipt(1, 'matched', 'XYZ')).rejects.toThrow(/feed_receipts_sha256_check/);
      const good = await receipt(1, 'matched', randomBytes(32).toString('hex'));
      const flagged = await receipt(2, 'mismatch', randomBytes(32).toString('hex'));
      await ds.transaction((m) => receipts.setConfirmedCount(m, good.id, 3));
      const scope = { organizationId: isp.id };
      const all = await receipts.listPage({}, scope, undefined, 10);
      expect(all.map((r) => r.id)).toEqual([flagged.id, good.id]);
      expect(all[1].assignments_confirmed).toBe(3);
      expect(
        (await receipts.listPage({ flagged: true }, scope, undefined, 10)).map((r) => r.id),
      ).toEqual([flagged.id]);
      expect(
        await receipts.listPage(
          { organizationId: isp.id },
          { organizationId: department.id },
          undefined,
          10,
        ),
      ).toEqual([]);
    });
  });

  describe('deadline claims', () => {
    // Deadlines in 1981, a year no other test uses; the rows here keep the mark (reminded_at or
    // escalated_at) of the claim they are not about, so other tests' schedulers never take them.
    const NOW = new Date('1981-06-01T12:00:00Z');
    const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

    it('reminders: open, not reminded, deadline within the window; claimed once across concurrent schedulers', async () => {
      const isp = await rows.organization();
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const request = await rows.request(department, creator.id);
        ids.push(
          (
            await rows.assignment(request.id, isp.id, {
              deadlineAt: minutes(10 + i),
              remindedAt: null,
            })
          ).id,
        );
      }
      const closedRequest = await rows.request(department, creator.id);
      const closed = await rows.assignment(closedRequest.id, isp.id, {
        deadlineAt: minutes(5),
        status: 'applied',
        remindedAt: null,
      });
      const farRequest = await rows.request(department, creator.id);
      const far = await rows.assignment(farRequest.id, isp.id, {
        deadlineAt: minutes(120),
        remindedAt: null,
      });

      // Two schedulers at once, each in its own transaction: SKIP LOCKED splits the batch.
      const [x, y] = await Promise.all([
        ds.transaction((m) => assignments.claimReminders(m, NOW, 60, 2)),
        ds.transaction((m) => assignments.claimReminders(m, NOW, 60, 2)),
      ]);
      const claimed = [...x, ...y].map((c) => c.id).filter((id) => ids.includes(id));
      expect(new Set(claimed).size).toBe(claimed.length);
      const rest = await ds.transaction((m) => assignments.claimReminders(m, NOW, 60, 100));
      const all = [...claimed, ...rest.map((c) => c.id)];
      expect(all.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
      expect(all).not.toContain(closed.id);
      expect(all).not.toContain(far.id);
      // In deadline order, with what the event names.
      expect(x.map((c) => c.deadline_at.getTime())).toEqual(
        [...x].map((c) => c.deadline_at.getTime()).sort((p, q) => p - q),
      );
      expect(x[0]).toMatchObject({ organization_id: isp.id, issued_by: department.id });
      expect(await ds.transaction((m) => assignments.claimReminders(m, NOW, 60, 100))).toEqual([]);
    });

    it('escalations: strictly past the deadline plus the grace', async () => {
      // Made and claimed in one transaction, rolled back: no other scheduler ever sees them.
      const { claimed, atEdge, overdue } = await rolledBack(ds, async (m) => {
        const inTx = new Rows(m);
        const isp = await inTx.organization();
        const assignment = async (deadlineAt: Date) =>
          inTx.assignment((await inTx.request(department, creator.id)).id, isp.id, {
            deadlineAt,
            escalatedAt: null,
          });
        const atEdge = await assignment(minutes(-30));
        const overdue = await assignment(minutes(-31));
        return { claimed: await assignments.claimEscalations(m, NOW, 30, 100), atEdge, overdue };
      });
      const ids = claimed.map((c) => c.id);
      expect(ids).toContain(overdue.id);
      expect(ids).not.toContain(atEdge.id);
    });
  });
});
