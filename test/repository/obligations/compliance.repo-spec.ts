import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ComplianceRepository } from '#src/obligations/compliance/compliance.repository.js';
import { repositoryDataSource, Rows } from '#test/support/repository-db.js';

/** The compliance report's one statement, on an ISP with one assignment of each kind. */
describe('ComplianceRepository', () => {
  let ds: DataSource;
  let rows: Rows;
  let repo: ComplianceRepository;
  let department: { id: string };
  let creator: { id: string };

  beforeAll(async () => {
    ds = await repositoryDataSource();
    rows = new Rows(ds);
    repo = new ComplianceRepository(ds);
    department = await rows.organization('department');
    creator = await rows.user(department.id);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  const PUBLISHED = new Date('1982-03-01T10:00:00Z');
  const DEADLINE = new Date('1982-03-02T10:00:00Z');
  const hours = (n: number) => new Date(PUBLISHED.getTime() + n * 3_600_000);

  /** A confirmation accepted at `at`, made the assignment's latest, with the status it gives. */
  async function confirm(
    assignment: { id: string },
    isp: string,
    status: 'applied' | 'rejected',
    at: Date,
    appliedAt: Date | null,
  ): Promise<void> {
    const [c] = await ds.query<{ id: string }[]>(
      `INSERT INTO confirmations (assignment_id, organization_id, status, reason, applied_at,
                                  actor_type, actor_id, created_at)
       VALUES ($1, $2, $3, $4, $5, 'user', $6, $7) RETURNING id`,
      [
        assignment.id,
        isp,
        status,
        status === 'rejected' ? 'not our network' : null,
        appliedAt,
        creator.id,
        at,
      ],
    );
    await ds.query(
      `UPDATE assignments SET status = $2, applied_at = $3, last_confirmation_id = $4,
              closed_at = coalesce(closed_at, $5), acknowledged_at = coalesce(acknowledged_at, $5)
        WHERE id = $1`,
      [assignment.id, status, appliedAt, c.id, at],
    );
  }

  it('counts each kind of assignment of the window, on time, overdue and the times to apply', async () => {
    const isp = await rows.organization();
    const assignment = async (status = 'pending', deadlineAt = DEADLINE) => {
      const request = await rows.request(department, creator.id, { publishedAt: PUBLISHED });
      return {
        ...(await rows.assignment(request.id, isp.id, { status, deadlineAt })),
        requestId: request.id,
      };
    };
    const onTime = await assignment();
    await confirm(onTime, isp.id, 'applied', hours(1), hours(1));
    const late = await assignment();
    await confirm(late, isp.id, 'applied', hours(30), hours(3));
    const rejected = await assignment();
    await confirm(rejected, isp.id, 'rejected', hours(2), null);
    const overdue = await assignment('pending', new Date('1982-03-05T00:00:00Z'));
    await assignment('withdrawn');
    await assignment('acknowledged', new Date('1982-04-01T00:00:00Z'));
    // Published outside the window: not counted.
    const outside = await rows.request(department, creator.id, {
      publishedAt: new Date('1982-02-01T00:00:00Z'),
    });
    await rows.assignment(outside.id, isp.id);

    const report = await repo.report(
      new Date('1982-03-01T00:00:00Z'),
      new Date('1982-03-02T00:00:00Z'),
      new Date('1982-03-10T00:00:00Z'),
    );
    const mine = report.find((r) => r.organization_id === isp.id);
    expect(mine).toMatchObject({
      assignments: 6,
      applied: 2,
      partially_applied: 0,
      rejected: 1,
      open: 2,
      overdue: 1,
      withdrawn: 1,
      decided: 4, // three closed, one overdue; not the one still within its deadline
      on_time: 1,
      median_seconds_to_apply: 7200, // (1 h + 3 h) / 2
      version_lag: 0,
      last_pull_at: null,
    });
    expect(mine?.overdue_assignments.map((o) => o.assignmentId)).toEqual([overdue.id]);
    expect(mine?.rejections).toEqual([
      expect.objectContaining({ assignmentId: rejected.id, reason: 'not our network' }),
    ]);
    // Every ISP is listed, with zeros when it had nothing in the window.
    const idle = await rows.organization();
    const again = await repo.report(new Date('1982-03-01Z'), new Date('1982-03-02Z'), new Date());
    expect(again.find((r) => r.organization_id === idle.id)).toMatchObject({
      assignments: 0,
      decided: 0,
      median_seconds_to_apply: null,
    });
  });
});
