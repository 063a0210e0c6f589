import { describe, expect, it } from '@jest/globals';
import { backoffDelayMs } from '#src/messaging/webhooks/webhook-worker.js';

const BASE = 30_000;
const CAP = 6 * 3_600_000;
/** The largest value the draw allows: the ceiling of the n-th retry. */
const highest = (min: number, max: number): number => max - 1;

describe('webhook retry backoff', () => {
  it('doubles from the base on each failed attempt, up to the cap', () => {
    const ceilings = [1, 2, 3, 4, 5, 10, 11, 50].map((n) => backoffDelayMs(n, BASE, CAP, highest));
    expect(ceilings).toEqual([
      30_000,
      60_000,
      120_000,
      240_000,
      480_000,
      15_360_000,
      CAP, // 30 s · 2^10 = 8.5 h, capped at 6 h
      CAP,
    ]);
  });

  it('draws the delay from the whole range [0, ceiling] (full jitter)', () => {
    expect(backoffDelayMs(3, BASE, CAP, (min) => min)).toBe(0);
    const draws = Array.from({ length: 200 }, () => backoffDelayMs(3, BASE, CAP));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(120_000);
    expect(new Set(draws).size).toBeGreaterThan(100);
  });
});
