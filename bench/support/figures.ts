import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from '#src/platform/project/project.js';

/** The figures the benchmarks report, and what code they measured. */

export const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

export const fmt = (x: number): string => x.toLocaleString('en-US');

/**
 * The commit measured, and the files under `paths` that differed from it (the build measured
 * someone's uncommitted work).
 */
export function measuredCode(paths: string[]): { commit: string; uncommitted: string[] } {
  const git = (...args: string[]): string =>
    spawnSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout?.trimEnd() ?? '';
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommitted: git('status', '--porcelain', '--', ...paths)
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3)),
  };
}

/** Runs `work` over `tasks` with `concurrency` workers taking them in order; stops at the first error. */
export async function inParallel<T>(
  tasks: readonly T[],
  concurrency: number,
  work: (task: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < tasks.length) {
      const task = tasks[next++];
      try {
        await work(task);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}
