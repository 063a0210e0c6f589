import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { freshDatabase } from '#test/support/database-urls.js';
import {
  blockSteps,
  lineMatches,
  missingLines,
  walkthroughFences,
  type Step,
} from '#test/support/readme-walkthrough.js';
import { ServiceProcess } from '#test/support/service-process.js';
import { TEST_ADMIN_PASSWORD, TEST_KEY_ENCRYPTION_KEY } from '#test/support/test-app.js';

/** What the walkthrough leaves in the repository's folder (ignored by git). */
const ARTEFACTS = ['zone.rpz', 'audit-key.pem', 'audit-export.zip'];

/** The only change made to the README's text before it runs: the service's address. */
function substitutions(host: string): [string, string][] {
  return [['localhost:3000', host]];
}

const MARK = '@@walkthrough-step';

interface Run {
  code: number | null;
  /** Standard output of each step, in order. */
  outputs: string[];
  stderr: string;
}

/**
 * Runs the steps in one bash process (so that variables and functions carry over), with
 * `set -e -o pipefail`, in the repository's folder (the audit step runs `npx --no-install
 * threat-exchange`, which resolves there). Each step's output is followed by a marker line.
 */
function runSteps(steps: Step[], env: Record<string, string>): Promise<Run> {
  const script = [
    'set -e -o pipefail',
    ...steps.map((s, i) => `${s.commands}\nprintf '\\n%s\\n' '${MARK} ${i}'`),
  ].join('\n');
  return new Promise((resolve, reject) => {
    const bash = spawn('bash', ['-c', script], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    bash.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    bash.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    bash.on('error', reject);
    bash.on('close', (code) => {
      const outputs = stdout.split(new RegExp(`\\n${MARK} \\d+\\n`));
      resolve({ code, outputs, stderr });
    });
  });
}

/** Each step whose output lacks what the README shows, with what it printed. */
function differences(steps: Step[], run: Run): string[] {
  return steps.flatMap((step, i) => {
    const missing = missingLines(step.expected, run.outputs[i] ?? '');
    if (missing.length === 0) return [];
    return [
      `README.md:${step.line}: expected, in order:\n  ${step.expected.join('\n  ')}\n` +
        `first missing: ${missing[0]}\nprinted:\n${run.outputs[i] ?? '(nothing: the run stopped before)'}`,
    ];
  });
}

/** The exit status and the differences; the end of stderr when bash failed. */
function outcome(steps: Step[], run: Run): Record<string, unknown> {
  return {
    code: run.code,
    differences: differences(steps, run),
    ...(run.code === 0 ? {} : { stderr: run.stderr.slice(-4000) }),
  };
}

describe('the README walkthrough convention', () => {
  const readme = [
    '## A first look with curl',
    '```bash',
    '# prose at the top',
    'echo \'{"a":1,"b":2}\'',
    '# {"a":…,',
    '#  "b":2}   (a wrapped line; an annotation',
    '#   over two lines)',
    '#   (an annotation alone)',
    '',
    '# prose after a blank line',
    'echo one; echo two    # a comment on the command line',
    '# one',
    '# two',
    'true',
    '```',
    '## Next',
    '```bash',
    'not part of it',
    '```',
  ].join('\n');

  it('reads expected output, continuations and annotations, and only the chapter’s blocks', () => {
    const fences = walkthroughFences(readme);
    expect(fences).toHaveLength(1);
    const steps = blockSteps(fences[0]);
    expect(steps.map((s) => s.expected)).toEqual([['{"a":…,"b":2}'], ['one', 'two'], []]);
    expect(steps[2].commands).toBe('true');
  });

  it('matches whole lines in order, … as a wildcard, and reports what is missing', () => {
    expect(lineMatches('{"a":…,"b":2}', '{"a":17,"b":2}\r')).toBe(true);
    expect(lineMatches('{"a":…,"b":2}', '{"a":17,"b":3}')).toBe(false);
    expect(lineMatches('[1]', 'x[1]')).toBe(false);
    expect(missingLines(['one', 'two'], 'zero\none\nmore\ntwo\n')).toEqual([]);
    expect(missingLines(['one', 'two'], 'two\none\n')).toEqual(['two']);
  });
});

/**
 * The README's walkthrough, extracted from README.md itself and run as written against the
 * built service on a fresh database: fast, with no pause between blocks, then a second time in
 * the same folder against the same service. Both runs must show what the README says.
 */
describe('README.md: the walkthrough', () => {
  let service: ServiceProcess;
  let database: { url: string; drop: () => Promise<void> };
  let tmp: string;
  let steps: Step[];
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await freshDatabase();
    tmp = await mkdtemp(path.join(tmpdir(), 'threat-exchange-walkthrough-'));
    const settings = {
      NODE_ENV: 'development',
      DATABASE_URL: database.url,
      KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    };
    service = ServiceProcess.start({
      ...settings,
      PORT: '0',
      ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    });
    const host = new URL(await service.listening()).host;

    const readme = await readFile(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const fences = walkthroughFences(readme);
    expect(fences.map((f) => f.info)).toEqual(fences.map(() => 'bash'));
    const text = fences.map((f) => f.body.join('\n')).join('\n');
    for (const [from] of substitutions(host)) {
      // A substitution that no longer applies is stale: say so.
      expect({ [from]: text.includes(from) }).toEqual({ [from]: true });
    }
    steps = fences.flatMap(blockSteps).map((step) => {
      let commands = step.commands;
      for (const [from, to] of substitutions(host)) commands = commands.split(from).join(to);
      return { ...step, commands };
    });
    expect(steps.filter((s) => s.expected.length > 0).length).toBeGreaterThan(20);
    // The shell a reader has, with the service's database for the seed (as next to npm start).
    env = {
      ...settings,
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmp,
      TMPDIR: tmp,
      LANG: 'C.UTF-8',
    };
  }, 120_000);

  afterAll(async () => {
    if (service?.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await database?.drop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    for (const file of ARTEFACTS) await rm(path.join(PROJECT_ROOT, file), { force: true });
  });

  it('runs as written, block after block with no pause, and prints what the README shows', async () => {
    expect(outcome(steps, await runSteps(steps, env))).toEqual({ code: 0, differences: [] });
  }, 180_000);

  it('runs again in the same folder against the same service, with the same results', async () => {
    expect(outcome(steps, await runSteps(steps, env))).toEqual({ code: 0, differences: [] });
  }, 180_000);

  it('leaves in the repository only files that git ignores', () => {
    expect(ARTEFACTS.filter((file) => !existsSync(path.join(PROJECT_ROOT, file)))).toEqual([]);
    const status = execFileSync('git', ['status', '--porcelain', '--', ...ARTEFACTS], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    expect(status).toBe('');
  });
});
