import { performance } from 'node:perf_hooks';
import { Global, Module, type DynamicModule } from '@nestjs/common';

/**
 * The time as the application sees it. Everything that decides by time (deadlines, expiry)
 * asks the clock, so that tests can move it.
 */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock that stands still until moved (tests). */
export class ManualClock extends Clock {
  constructor(private current: Date = new Date()) {
    super();
  }

  now(): Date {
    return new Date(this.current.getTime());
  }

  set(date: Date): void {
    this.current = new Date(date.getTime());
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * Milliseconds on a monotonic clock, for durations, timeouts and the age of in-memory state
 * (a cache entry, a rate-limit window, a retry delay): only differences mean anything. It does
 * not jump when the machine's time is set, and a ManualClock does not move it. Never a date:
 * a time that is stored, shown or compared with a record's comes from the Clock.
 */
export function monotonicMs(): number {
  return performance.now();
}

/**
 * Seconds since the epoch on the machine's clock, for access tokens only: jsonwebtoken checks
 * `exp` and `nbf` against the machine's time (passport-jwt cannot hand it the Clock), so tokens
 * are issued, and their cached checks made, on that same time, also when a test moves the Clock.
 */
export function tokenTimeSeconds(): number {
  return Date.now() / 1000;
}

@Global()
@Module({})
export class ClockModule {
  static forRoot(clock: Clock = new SystemClock()): DynamicModule {
    return {
      module: ClockModule,
      providers: [{ provide: Clock, useValue: clock }],
      exports: [Clock],
    };
  }
}
