import { Logger } from '@nestjs/common';
import { describe, expect, it, jest } from '@jest/globals';
import { PeriodicRun } from '#src/platform/jobs/periodic-run.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` (timers run late on a loaded machine: no fixed sleep is enough). */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

describe('PeriodicRun', () => {
  it('runs on its interval, never two runs at once, and stop() waits for the run in progress', async () => {
    const periodic = new PeriodicRun('test run', new Logger('test'));
    let active = 0;
    let most = 0;
    let runs = 0;
    let finished = 0;
    periodic.start(5, async () => {
      runs += 1;
      active += 1;
      most = Math.max(most, active);
      await sleep(30); // longer than the interval: ticks during a run are skipped
      active -= 1;
      finished += 1;
    });
    await until(() => runs >= 3);
    await periodic.stop();
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(most).toBe(1);
    expect(finished).toBe(runs); // the last run was awaited, none was cut short
    const after = runs;
    await sleep(30);
    expect(runs).toBe(after); // stopped
  });

  it('does nothing with interval 0, and logs a failed run without stopping', async () => {
    const idle = new PeriodicRun('idle', new Logger('test'));
    const never = jest.fn(() => Promise.resolve());
    idle.start(0, never);
    await sleep(20);
    expect(never).not.toHaveBeenCalled();

    const log = new Logger('test');
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    const failing = new PeriodicRun('failing run', log);
    let calls = 0;
    failing.start(5, () => {
      calls += 1;
      return Promise.reject(new Error('boom'));
    });
    await until(() => calls >= 2);
    await failing.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(warn).toHaveBeenCalledWith('failing run failed: Error: boom');
  });
});
