import type { Logger } from '@nestjs/common';

/**
 * A background job's timer: runs `run` every `intervalMs` (0: never), never two runs at once
 * (a tick during a run is skipped), a failed run logged as a warning; `stop()` clears the timer
 * and waits for the run in progress, so that shutdown does not cut a transaction short.
 */
export class PeriodicRun {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly what: string,
    private readonly log: Logger,
  ) {}

  start(intervalMs: number, run: () => Promise<unknown>): void {
    if (intervalMs === 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = run()
        .catch((error: unknown) => this.log.warn(`${this.what} failed: ${String(error)}`))
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
