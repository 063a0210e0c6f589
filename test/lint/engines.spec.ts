import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { PROJECT_ROOT } from '#src/platform/project/index.js';

interface LockPackage {
  engines?: { node?: string };
}

const read = <T>(file: string): T =>
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, file), 'utf8')) as T;

/**
 * `npm install` warns EBADENGINE when the running Node is outside a dependency's `engines`: the
 * project's own `engines` must promise no version that some installed package refuses. Each
 * range's lowest version is checked against every package in the lock.
 */
describe('engines', () => {
  const declared = read<{ engines: { node: string } }>('package.json').engines.node;
  const packages = read<{ packages: Record<string, LockPackage> }>('package-lock.json').packages;
  const floors = declared.split('||').map((range) => semver.minVersion(range.trim())!.version);

  it('has a lowest version for each range it declares', () => {
    expect(floors.length).toBeGreaterThan(1);
  });

  it.each(floors)('promises Node %s only if every locked dependency accepts it', (floor) => {
    const refusing = Object.entries(packages)
      .filter(([name, p]) => name !== '' && p.engines?.node)
      .filter(([, p]) => !semver.satisfies(floor, p.engines!.node!, { includePrerelease: true }))
      .map(([name, p]) => `${name.replace(/^.*node_modules\//, '')} (${p.engines!.node})`);
    expect(refusing).toEqual([]);
  });
});
