import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '#src/platform/clock/clock.js';
import { DeadlineScheduler } from '#src/obligations/compliance/deadline.scheduler.js';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import { AssignmentFixtures } from '#test/support/assignment-fixtures.js';
import { Factories } from '#test/support/factories.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const MINUTE = 60_000;
/** The order the scheduler claims assignments with one deadline in (and writes their events). */
const byId = <T extends { id: string }>(list: T[]): T[] =>
  [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
const HOUR = 60 * MINUTE;

interface OutboxRow {
  topic: string;
  aggregate_id: string;
  payload: Record<string, unknown>;
  recipients: string[];
}

/**
 * The deadline scheduler, driven by clocks the tests move. Every time here is in 2001, long
 * before anything other tests sharing the database write, so that the scheduler runs of this
 * file touch only its own assignments (and the interval scheduler is off in test apps).
 */
describe('assignment deadlines: reminders and escalation', () => {
  let one: TestApp;
  let two: TestApp;
  const clockOne = new ManualClock();
  const clockTwo = new ManualClock();
  let db: DataSource;
  let make: Factories;
  let fixtures: AssignmentFixtures;
  let department: string;

  const events = (ids: string[]): Promise<OutboxRow[]> =>
    db.query<OutboxRow[]>(
      `SELECT topic, aggregate_id, payload, recipients FROM outbox
        WHERE aggregate_id = ANY($1::uuid[]) ORDER BY id`,
      [ids],
    );
  const marks = async (id: string) => {
    const [row] = await db.query<{ reminded_at: Date | null; escalated_at: Date | null }[]>(
      `SELECT reminded_at, escalated_at FROM assignments WHERE id = $1`,
      [id],
    );
    return row;
  };
  /** One open assignment (its own request) for `isp`, due at `deadline`. */
  const open = async (
    isp: string,
    deadline: Date,
    status: 'pending' | 'acknowledged' | 'withdrawn' = 'pending',
  ) => {
    const request = await fixtures.request({
      publishedAt: new Date(deadline.getTime() - 24 * HOUR),
      deadlineAt: deadline,
      targets: [isp],
    });
    const id = await fixtures.assignment({
      requestId: request.id,
      organizationId: isp,
      deadlineAt: deadline,
      status,
    });
    return { id, requestId: request.id, documentNumber: request.documentNumber };
  };

  beforeAll(async () => {
    // Defaults (120 min before, at the deadline) on one; the other is configured otherwise.
    one = await createTestApp({ clock: clockOne });
    two = await createTestApp({
      clock: clockTwo,
      env: { ASSIGNMENT_REMINDER_BEFORE_MINUTES: '60', ASSIGNMENT_ESCALATION_AFTER_MINUTES: '30' },
    });
    db = one.app.get(DataSource);
    make = new Factories(one.app);
    const dept = await make.organization('department');
    const user = await make.user(dept, ['analyst']);
    department = dept.id;
    fixtures = new AssignmentFixtures(db, one.app.get(FeedWriter), {
      organizationId: dept.id,
      userId: user.id,
    });
  });
  afterAll(async () => {
    await one.close();
    await two.close();
  });

  it('reminds once inside the window, escalates once just past the deadline, spares closed and withdrawn ones', async () => {
    const isp = (await make.organization('isp')).id;
    const deadline = new Date('2001-03-04T12:00:00Z');
    const pending = await open(isp, deadline);
    const acknowledged = await open(isp, deadline, 'acknowledged');
    const closedInTime = await open(isp, deadline);
    const withdrawn = await open(isp, deadline, 'withdrawn');
    const all = [pending, acknowledged, closedInTime, withdrawn].map((a) => a.id);
    const scheduler = one.app.get(DeadlineScheduler);

    // Before the window: nothing.
    clockOne.set(new Date(deadline.getTime() - 120 * MINUTE - 1));
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 0 });
    expect(await events(all)).toEqual([]);

    // The window opens 120 minutes before: one reminder per open assignment, to its ISP.
    const remindAt = new Date(deadline.getTime() - 120 * MINUTE);
    clockOne.set(remindAt);
    expect(await scheduler.runOnce()).toEqual({ reminded: 3, escalated: 0 });
    const reminders = await events(all);
    expect(reminders).toEqual(
      byId([pending, acknowledged, closedInTime]).map((a) => ({
        topic: 'assignment.reminder',
        aggregate_id: a.id,
        payload: {
          assignmentId: a.id,
          requestId: a.requestId,
          documentNumber: a.documentNumber,
          organizationId: isp,
          deadlineAt: deadline.toISOString(),
          minutesLeft: 120,
        },
        recipients: [isp],
      })),
    );
    expect(await marks(pending.id)).toEqual({ reminded_at: remindAt, escalated_at: null });
    expect(await marks(withdrawn.id)).toEqual({ reminded_at: null, escalated_at: null });
    await one.sealAudit();
    const audit = await db.query<{ action: string; actor_type: string; object_id: string }[]>(
      `SELECT action, actor_type, object_id FROM audit_events
        WHERE object_id = ANY($1::text[]) ORDER BY id`,
      [all],
    );
    expect(audit).toEqual(
      byId([pending, acknowledged, closedInTime]).map((a) => ({
        action: 'assignment.remind',
        actor_type: 'system',
        object_id: a.id,
      })),
    );

    // Again, and later inside the window: nothing new.
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 0 });
    clockOne.set(new Date(deadline.getTime() - MINUTE));
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 0 });
    expect(await events(all)).toHaveLength(3);

    // One is applied before the deadline; another appears whose reminder window was missed
    // (as if the service had been down): no late reminder, but the escalation once it is due.
    await db.query(
      `UPDATE assignments SET status = 'applied', closed_at = $2, applied_at = $2 WHERE id = $1`,
      [closedInTime.id, new Date(deadline.getTime() - 30 * MINUTE)],
    );
    const missed = await open(isp, new Date(deadline.getTime() - 10 * MINUTE));
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 1 });
    expect(await events([missed.id])).toEqual([
      {
        topic: 'assignment.overdue',
        aggregate_id: missed.id,
        payload: {
          assignmentId: missed.id,
          requestId: missed.requestId,
          documentNumber: missed.documentNumber,
          organizationId: isp,
          deadlineAt: new Date(deadline.getTime() - 10 * MINUTE).toISOString(),
        },
        recipients: [isp, department],
      },
    ]);

    // At the deadline: nothing (not overdue yet); a millisecond later: the two still open.
    clockOne.set(deadline);
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 0 });
    const late = new Date(deadline.getTime() + 1);
    clockOne.set(late);
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 2 });
    const escalations = (await events(all)).filter((e) => e.topic === 'assignment.overdue');
    expect(escalations).toEqual(
      byId([pending, acknowledged]).map((a) => ({
        topic: 'assignment.overdue',
        aggregate_id: a.id,
        payload: {
          assignmentId: a.id,
          requestId: a.requestId,
          documentNumber: a.documentNumber,
          organizationId: isp,
          deadlineAt: deadline.toISOString(),
        },
        recipients: [isp, department],
      })),
    );
    expect(await marks(acknowledged.id)).toEqual({ reminded_at: remindAt, escalated_at: late });
    expect(await marks(closedInTime.id)).toMatchObject({ escalated_at: null });
    expect(await marks(withdrawn.id)).toEqual({ reminded_at: null, escalated_at: null });

    // Again, and a day later: nothing new.
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 0 });
    clockOne.set(new Date(deadline.getTime() + 24 * HOUR));
    expect(await scheduler.runOnce()).toEqual({ reminded: 0, escalated: 0 });
    expect(await events([...all, missed.id])).toHaveLength(6);

    // A restart (a new application on the same database, at the same time) sends nothing again.
    const restarted = await createTestApp({ clock: new ManualClock(late) });
    try {
      expect(await restarted.app.get(DeadlineScheduler).runOnce()).toEqual({
        reminded: 0,
        escalated: 0,
      });
    } finally {
      await restarted.close();
    }
    expect(await events([...all, missed.id])).toHaveLength(6);
  });

  it('follows the configured window and delay (60 minutes before, 30 after)', async () => {
    const isp = (await make.organization('isp')).id;
    const deadline = new Date('2001-05-06T08:00:00Z');
    const a = await open(isp, deadline);
    const scheduler = two.app.get(DeadlineScheduler);
    const topics = async () => (await events([a.id])).map((e) => e.topic);

    clockTwo.set(new Date(deadline.getTime() - 61 * MINUTE));
    await scheduler.runOnce();
    expect(await topics()).toEqual([]);
    clockTwo.set(new Date(deadline.getTime() - 45 * MINUTE - 30_000));
    await scheduler.runOnce();
    const [reminder] = await events([a.id]);
    // Whole minutes left, rounded down.
    expect(reminder.payload.minutesLeft).toBe(45);
    clockTwo.set(new Date(deadline.getTime() + 30 * MINUTE));
    await scheduler.runOnce();
    expect(await topics()).toEqual(['assignment.reminder']);
    clockTwo.set(new Date(deadline.getTime() + 30 * MINUTE + 1));
    await scheduler.runOnce();
    expect(await topics()).toEqual(['assignment.reminder', 'assignment.overdue']);
  });

  it('two instances running at once send exactly one reminder and one escalation per assignment', async () => {
    const isps = [
      (await make.organization('isp')).id,
      (await make.organization('isp')).id,
      (await make.organization('isp')).id,
    ];
    const deadline = new Date('2001-09-10T16:00:00Z');
    const ids: string[] = [];
    for (let r = 0; r < 25; r++) {
      const request = await fixtures.request({
        publishedAt: new Date(deadline.getTime() - 24 * HOUR),
        deadlineAt: deadline,
        targets: isps,
      });
      for (const isp of isps) {
        ids.push(
          await fixtures.assignment({
            requestId: request.id,
            organizationId: isp,
            deadlineAt: deadline,
          }),
        );
      }
    }
    const schedulers = [one.app.get(DeadlineScheduler), two.app.get(DeadlineScheduler)];
    const race = async (at: Date) => {
      clockOne.set(at);
      clockTwo.set(at);
      const runs = await Promise.all([
        ...schedulers.map((s) => s.runOnce()),
        ...schedulers.map((s) => s.runOnce()),
      ]);
      return runs.reduce(
        (sum, r) => ({
          reminded: sum.reminded + r.reminded,
          escalated: sum.escalated + r.escalated,
        }),
        { reminded: 0, escalated: 0 },
      );
    };
    const perAssignment = async (topic: string) => {
      const rows = await db.query<{ aggregate_id: string; n: number }[]>(
        `SELECT aggregate_id, count(*)::int AS n FROM outbox
          WHERE aggregate_id = ANY($1::uuid[]) AND topic = $2 GROUP BY aggregate_id`,
        [ids, topic],
      );
      return rows;
    };

    // Inside both windows (one: 120 min, two: 60 min before).
    expect(await race(new Date(deadline.getTime() - 59 * MINUTE))).toEqual({
      reminded: ids.length,
      escalated: 0,
    });
    const reminders = await perAssignment('assignment.reminder');
    expect(reminders).toHaveLength(ids.length);
    expect(reminders.every((r) => r.n === 1)).toBe(true);

    // Past both escalation points (one: at the deadline, two: 30 minutes after).
    expect(await race(new Date(deadline.getTime() + 31 * MINUTE))).toEqual({
      reminded: 0,
      escalated: ids.length,
    });
    const escalations = await perAssignment('assignment.overdue');
    expect(escalations).toHaveLength(ids.length);
    expect(escalations.every((r) => r.n === 1)).toBe(true);
    await one.sealAudit();
    const audit = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_events WHERE object_id = ANY($1::text[])`,
      [ids],
    );
    expect(audit[0].n).toBe(2 * ids.length);
  });
});
