/**
 * Five kinds of tests (docs/architecture.md#tests): unit specs beside the code, repository tests
 * (each repository's SQL on a real PostgreSQL, no Nest app), integration tests on a real
 * PostgreSQL, e2e tests of the whole application over HTTP, fault tests (real failures). The global setup
 * gives all of them one freshly migrated database: an embedded server in a temporary folder,
 * or a new database on the server of TEST_DATABASE_URL / DATABASE_URL.
 */
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^#src/(.*)\\.js$': '<rootDir>/src/$1',
    '^#test/(.*)\\.js$': '<rootDir>/test/$1',
    '^#bench/(.*)\\.js$': '<rootDir>/bench/$1',
    '^#agent/(.*)\\.js$': '<rootDir>/agent/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true }],
    // ESM-only packages required by CommonJS ones: see test/support/esm-to-cjs.cjs.
    '/node_modules/.+\\.js$': '<rootDir>/test/support/esm-to-cjs.cjs',
  },
  transformIgnorePatterns: [],
};

export default {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  // Native ESM under Jest keeps every test file's module graph alive in the process that ran it;
  // on a two-core machine Jest would run all files in one process, whose heap then reaches
  // V8's limit. A worker whose heap passes this after a file is replaced by a fresh one.
  workerIdleMemoryLimit: '1536MB',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/src/**/*.spec.ts',
        '<rootDir>/test/lint/**/*.spec.ts',
        '<rootDir>/web/src/**/*.spec.ts',
      ],
    },
    {
      ...shared,
      displayName: 'repository',
      testMatch: ['<rootDir>/test/repository/**/*.repo-spec.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    // The ISP agent (agent/, a package of its own): its modules, and the agent against the service.
    { ...shared, displayName: 'agent', testMatch: ['<rootDir>/test/agent/**/*.spec.ts'] },
    // The web console in Debian's Chromium (playwright-core): the main flow, axe, screenshots.
    {
      ...shared,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
    },
    // Real failures (PostgreSQL backends killed, the service restarted, slow clients):
    // test/faults/README.md lists them.
    { ...shared, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'] },
    // The API fuzz suite runs on its own (npm run fuzz, test/fuzz/run.js), never in npm test.
    ...(process.env.FUZZ
      ? [{ ...shared, displayName: 'fuzz', testMatch: ['<rootDir>/test/fuzz/**/*.fuzz-spec.ts'] }]
      : []),
  ],
};
