#!/usr/bin/env node
/**
 * npm run fuzz [-- --runs N] [--seed S] [jest options…]: runs the API fuzz suite (jest project
 * `fuzz`, test/fuzz/*.fuzz-spec.ts) with N generated requests per operation (default 30; the
 * feed and TAXII operations get three times as many) from seed S (default: the CI seed). Other
 * arguments go to Jest (--json --outputFile=…, -t 'GET /api/v1/feed/changes').
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, URL } from 'node:url';

const args = process.argv.slice(2);
const env = { ...process.env, FUZZ: '1' };
const rest = [];
for (let i = 0; i < args.length; i++) {
  const match = /^--(runs|seed)(?:=(.*))?$/.exec(args[i]);
  if (!match) {
    rest.push(args[i]);
    continue;
  }
  const value = match[2] ?? args[++i];
  if (!/^-?\d+$/.test(value ?? '')) {
    process.stderr.write(`--${match[1]} needs an integer, got ${value}\n`);
    process.exit(2);
  }
  env[match[1] === 'runs' ? 'FUZZ_RUNS' : 'FUZZ_SEED'] = value;
}
// As npm test runs it (jest's package exports do not list its bin).
const jest = fileURLToPath(new URL('../../node_modules/jest/bin/jest.js', import.meta.url));
const result = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    jest,
    '--selectProjects',
    'fuzz',
    ...rest,
  ],
  { stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
