// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from './eslint/context-boundaries.js';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Imports across folders go through the #src/ and #test/ aliases, never ../
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', './*'], message: 'Import through #src/… or #test/…' }] },
      ],
    },
  },
  {
    // Bounded contexts import each other downward, through their public entries: see the rule.
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    rules: { 'boundaries/context-imports': 'error' },
  },
  {
    // Tests: supertest bodies are `any` by design.
    files: ['test/**/*.ts', 'src/**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Time comes from the injected Clock (tests move it); durations from monotonicMs().
    files: ['src/**/*.ts'],
    ignores: ['src/platform/clock/**', 'src/**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          "NewExpression[callee.name='Date'][arguments.length=0]",
          "CallExpression[callee.name='Date']",
        ].map((selector) => ({
          selector,
          message:
            'Inject Clock (#src/platform/clock/clock.js) and ask it the time; for a duration or a timeout use monotonicMs().',
        })),
      ],
    },
  },
  {
    // A migration made by migration:create starts with empty up/down bodies.
    files: ['migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }] },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The lint's own plugin and tooling: plain Node scripts beside this file, outside src/.
    files: ['eslint.config.js', 'eslint/**/*.js'],
    languageOptions: { globals: { URL: 'readonly', console: 'readonly' } },
    rules: { 'no-restricted-imports': 'off' },
  },
);
