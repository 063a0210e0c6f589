import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { PROJECT_ROOT } from '#src/platform/project/index.js';

interface BoundariesModule {
  default: NonNullable<Linter.Config['plugins']>[string];
  reachable(graph: Record<string, string[]>): Map<string, Set<string>>;
}

const boundaries = (await import(
  pathToFileURL(path.join(PROJECT_ROOT, 'eslint', 'context-boundaries.js')).href
)) as BoundariesModule;

const linter = new Linter({ configType: 'flat', cwd: PROJECT_ROOT });
const config: Linter.Config[] = [
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { boundaries: boundaries.default },
    rules: { 'boundaries/context-imports': 'error' },
  },
];

/** The rule's messages for `code` as if it were the file `file` (from the repository root). */
function lint(file: string, code: string): string[] {
  return linter
    .verify(code, config, { filename: path.join(PROJECT_ROOT, file) })
    .map((m) => m.message);
}

describe('boundaries/context-imports', () => {
  it('lets a context import a lower one through its entry, types included', () => {
    expect(
      lint(
        'src/audit/trail/x.ts',
        `import { Roles } from '#src/identity/index.js';
         import type { Principal } from '#src/identity/index.js';
         import { Clock } from '#src/platform/clock/index.js';`,
      ),
    ).toEqual([]);
  });

  it('refuses a deep import into another context, type-only or not, and says which entry to use', () => {
    const messages = lint(
      'src/audit/trail/x.ts',
      `import { Roles } from '#src/identity/auth/access.decorators.js';
       import type { Principal } from '#src/identity/auth/principal.js';`,
    );
    expect(messages).toHaveLength(2);
    for (const message of messages) {
      expect(message).toContain('through its public entry #src/identity/index.js');
      expect(message).toContain('export the name from src/identity/index.ts');
    }
  });

  it('refuses an upward import, even through the entry, and says to invert it', () => {
    const [message, ...rest] = lint(
      'src/identity/users/x.ts',
      `import type { AuditService } from '#src/audit/index.js';`,
    );
    expect(rest).toEqual([]);
    expect(message).toContain('Context identity must not import audit');
    expect(message).toContain('invert the dependency');
  });

  it('refuses a platform lib importing a context', () => {
    expect(
      lint('src/platform/metrics/x.ts', `import { PrincipalCache } from '#src/identity/index.js';`),
    ).toEqual([expect.stringContaining('Context platform must not import identity')]);
  });

  it('refuses a context importing its own entry: files of a context import each other directly', () => {
    expect(
      lint('src/feeds/taxii/x.ts', `import { TAXII_ERROR_DIALECT } from '#src/feeds/index.js';`),
    ).toEqual([expect.stringContaining("not feeds's own entry")]);
    expect(
      lint(
        'src/feeds/taxii/x.ts',
        `import { sendTaxiiError } from '#src/feeds/taxii/taxii-media.js';`,
      ),
    ).toEqual([]);
  });

  it('treats each platform lib as a unit with its own entry', () => {
    expect(
      lint(
        'src/platform/health/x.ts',
        `import { ProblemException } from '#src/platform/problem/index.js';`,
      ),
    ).toEqual([]);
    expect(
      lint(
        'src/platform/health/x.ts',
        `import { ProblemException } from '#src/platform/problem/problem.js';`,
      ),
    ).toEqual([expect.stringContaining('through its public entry #src/platform/problem/index.js')]);
    expect(
      lint(
        'src/platform/problem/x.ts',
        `import { ProblemException } from '#src/platform/problem/index.js';`,
      ),
    ).toEqual([expect.stringContaining("not platform/problem's own entry")]);
  });

  it('refuses a context importing the composition root', () => {
    expect(
      lint('src/obligations/compliance/x.ts', `import { ENTITIES } from '#src/app/entities.js';`),
    ).toEqual([expect.stringContaining('must not import the composition root')]);
  });

  it('lets the composition root import any context, only through its entry', () => {
    expect(
      lint(
        'src/app/app.module.ts',
        `import { AssignmentsModule } from '#src/obligations/index.js';`,
      ),
    ).toEqual([]);
    expect(lint('src/cli.ts', `import { createApp } from '#src/app/app.factory.js';`)).toEqual([]);
    expect(
      lint('src/main.ts', `import { AuthModule } from '#src/identity/auth/auth.module.js';`),
    ).toEqual([expect.stringContaining('#src/identity/index.js')]);
  });

  it('checks re-exports and dynamic imports too', () => {
    expect(
      lint(
        'src/publishing/indicators/x.ts',
        `export { Roles } from '#src/identity/auth/access.decorators.js';
         export async function f() { return import('#src/obligations/index.js'); }`,
      ),
    ).toEqual([
      expect.stringContaining('#src/identity/index.js'),
      expect.stringContaining('Context publishing must not import obligations'),
    ]);
  });

  it('leaves tests, benchmarks and packages alone', () => {
    expect(
      lint('test/e2e/x.ts', `import { AuditService } from '#src/audit/trail/audit.service.js';`),
    ).toEqual([]);
    expect(lint('bench/x.ts', `import { ENTITIES } from '#src/app/entities.js';`)).toEqual([]);
    expect(lint('src/identity/x/y.ts', `import { Injectable } from '@nestjs/common';`)).toEqual([]);
  });

  it('refuses a declared order with a cycle when the rule loads', () => {
    expect(() => boundaries.reachable({ a: ['b'], b: ['c'], c: ['a'] })).toThrow(
      /cycle: a -> b -> c -> a/,
    );
    expect([...(boundaries.reachable({ a: ['b'], b: ['c'], c: [] }).get('a') ?? [])]).toEqual([
      'b',
      'c',
    ]);
  });

  it('is on for src/ in the repository configuration (eslint.config.js)', async () => {
    const { default: repository } = (await import(
      pathToFileURL(path.join(PROJECT_ROOT, 'eslint.config.js')).href
    )) as { default: Linter.Config[] };
    const wired = repository.filter(
      (entry) => entry.rules?.['boundaries/context-imports'] !== undefined,
    );
    expect(wired).toHaveLength(1);
    expect(wired[0].files).toEqual(['src/**/*.ts']);
    expect(wired[0].rules?.['boundaries/context-imports']).toBe('error');
    expect(Object.keys(wired[0].plugins?.boundaries?.rules ?? {})).toEqual(['context-imports']);
  });
});
