import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from '@jest/globals';
import { PROJECT_ROOT } from '#src/platform/project/project.js';

/** The real MISP warninglists in the reference material next to the checkout. */
export const MISP_LISTS_DIR = path.resolve(
  PROJECT_ROOT,
  '..',
  'shared',
  'data',
  'misp-warninglists',
  'lists',
);

/**
 * `describe` for tests that read `../shared`: a user's clone has no `../shared`, so there they
 * are skipped with a message; CI has it, so under CI its absence is a failure, not a skip.
 */
export function describeWithShared(dir: string): (name: string, body: () => void) => void {
  if (existsSync(dir)) return describe;
  if (process.env.CI) {
    return (name) =>
      describe(name, () => {
        it('has its reference data', () => {
          throw new Error(`${dir} is missing: CI must provide ../shared`);
        });
      });
  }
  return (name, body) => {
    console.warn(`Skipping "${name}": ${dir} does not exist (the reference data in ../shared).`);
    describe.skip(name, body);
  };
}
