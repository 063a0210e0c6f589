import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock, monotonicMs } from '#src/platform/clock/index.js';
import { PeriodicRun } from '#src/platform/jobs/index.js';
import { ResponseConfig } from '#src/response/response.config.js';
import { CaseEvents } from '#src/response/cases/case-events.js';
import { CasesRepository, type CaseRow } from '#src/response/cases/cases.repository.js';

/** Cases handled per kind of work and run. */
export const CASE_BATCH = 200;
/** A case whose work failed is left alone this long (no poison: the others go on). */
const FAILED_BACKOFF_MS = 10 * 60_000;
const MAX_FAILED_REMEMBERED = 1000;
const HOUR_MS = 3_600_000;

export interface CaseRun {
  closed: number;
  reminded: number;
  escalated: number;
  failed: number;
}

/**
 * The cases' clock work (docs/units-and-incidents.md). Each run, at the clock's now:
 *
 * - **closes** remediated cases quiet for CASE_QUIET_PERIOD_HOURS: the remediation report and
 *   the latest connection (last_seen) both at least that long ago. A connection seen after the
 *   report sends the case back to acknowledged when it is recorded, so "no new sighting for the
 *   quiet period after remediation" is: remediated_at ≤ now − quiet and last_seen ≤ now − quiet
 *   (a late report of an older connection keeps the case open until it too is quiet);
 * - **reminds** open or acknowledged cases whose deadline is within CASE_REMINDER_BEFORE_HOURS
 *   and not passed, once (`reminded_at`; a reminder missed while down is not sent late);
 * - **escalates** open or acknowledged cases past their deadline, once (`escalated_at`): the
 *   unit gets `case.overdue`, the responders an e-mail.
 *
 * At most CASE_BATCH cases of each kind per run, each in its own transaction that locks the
 * case and checks again that the work is due (so that concurrent instances do it once); a case
 * that fails is logged and skipped for a while, and the others go on.
 */
@Injectable()
export class CaseScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(CaseScheduler.name);
  private readonly periodic = new PeriodicRun('Case run', this.log);
  /** Case id → until when it is skipped after a failure. */
  private readonly failed = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly cases: CasesRepository,
    private readonly events: CaseEvents,
    private readonly clock: Clock,
    @Inject(ResponseConfig) private readonly config: ResponseConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.config.RESPONSE_SCHEDULER_INTERVAL_S * 1000, () => this.runOnce());
  }

  onApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  async runOnce(): Promise<CaseRun> {
    const now = this.clock.now();
    const exclude = this.skipped();
    const quietSince = new Date(now.getTime() - this.config.CASE_QUIET_PERIOD_HOURS * HOUR_MS);
    const run: CaseRun = { closed: 0, reminded: 0, escalated: 0, failed: 0 };

    const toClose = await this.cases.dueToClose(quietSince, exclude, CASE_BATCH);
    run.closed = await this.each(toClose, run, async (manager, c) => {
      if (
        c.status !== 'remediated' ||
        !c.remediatedAt ||
        c.remediatedAt > quietSince ||
        c.lastSeen > quietSince
      ) {
        return false;
      }
      await this.cases.close(manager, c.id, now);
      await this.events.record(manager, c.id, 'system', {
        action: 'case.close',
        change: { from: 'remediated', to: 'closed', reason: 'quiet period after remediation' },
        topic: 'case.closed',
        mail: { unit: 'closed', responders: 'closed' },
        summary: { quietPeriodHours: this.config.CASE_QUIET_PERIOD_HOURS },
      });
      return true;
    });

    if (this.config.CASE_REMINDER_BEFORE_HOURS > 0) {
      const until = new Date(now.getTime() + this.config.CASE_REMINDER_BEFORE_HOURS * HOUR_MS);
      const toRemind = await this.cases.dueForReminder(now, until, exclude, CASE_BATCH);
      run.reminded = await this.each(toRemind, run, async (manager, c) => {
        if (!open(c) || c.remindedAt || c.deadlineAt <= now || c.deadlineAt > until) return false;
        await this.cases.markReminded(manager, c.id, now);
        await this.events.record(manager, c.id, 'system', {
          action: 'case.remind',
          topic: 'case.reminder',
          mail: { unit: 'reminder' },
          summary: { hoursLeft: Math.floor((c.deadlineAt.getTime() - now.getTime()) / HOUR_MS) },
        });
        return true;
      });
    }

    const toEscalate = await this.cases.dueForEscalation(now, exclude, CASE_BATCH);
    run.escalated = await this.each(toEscalate, run, async (manager, c) => {
      if (!open(c) || c.escalatedAt || c.deadlineAt > now) return false;
      await this.cases.markEscalated(manager, c.id, now);
      await this.events.record(manager, c.id, 'system', {
        action: 'case.escalate',
        topic: 'case.overdue',
        mail: { unit: 'overdue', responders: 'overdue-responders' },
      });
      return true;
    });
    return run;
  }

  /** Runs `work` on each case in a transaction of its own; a failure is logged and counted. */
  private async each(
    ids: string[],
    run: CaseRun,
    work: (manager: EntityManager, c: CaseRow) => Promise<boolean>,
  ): Promise<number> {
    let done = 0;
    for (const id of ids) {
      try {
        const did = await this.dataSource.transaction(async (manager) => {
          const c = await this.cases.lock(manager, id);
          return c ? work(manager, c) : false;
        });
        if (did) done++;
      } catch (error) {
        run.failed++;
        this.remember(id);
        this.log.warn(`Case ${id}: scheduled work failed, skipped for now: ${String(error)}`);
      }
    }
    return done;
  }

  private remember(id: string): void {
    if (this.failed.size >= MAX_FAILED_REMEMBERED) {
      const oldest = this.failed.keys().next().value;
      if (oldest !== undefined) this.failed.delete(oldest);
    }
    this.failed.set(id, monotonicMs() + FAILED_BACKOFF_MS);
  }

  private skipped(): string[] {
    const now = monotonicMs();
    for (const [id, until] of this.failed) if (until <= now) this.failed.delete(id);
    return [...this.failed.keys()];
  }
}

function open(c: CaseRow): boolean {
  return c.status === 'open' || c.status === 'acknowledged';
}
