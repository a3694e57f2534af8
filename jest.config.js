// Jest runs the TypeScript sources as native ES modules (NestJS 12 and MikroORM 7 ship ESM only),
// transformed by SWC with decorator metadata so Nest's dependency injection works as in `tsc` builds.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2024',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

/** @type {import('jest').Config} */
const base = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  // Generous: each e2e file boots the real app and migrates its database in beforeAll, which takes
  // longer than Jest's default 5 s on a loaded 2-core machine. Fault specs pass their own, longer ones.
  testTimeout: 30_000,
  // Test files run in a worker process that is replaced once it holds more than this after a file.
  // Without it, Jest runs everything in its own process on a 2-core machine (one worker), and the
  // modules each file loads anew (native ESM under vm contexts) are never all reclaimed: a full run
  // of 104 files reached Node's 4 GB heap limit and aborted (CI, 2026-12-01).
  workerIdleMemoryLimit: '1GB',
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      // Every response of every e2e test is checked against the OpenAPI document the app serves.
      setupFilesAfterEnv: ['<rootDir>/test/support/openapi-recorder.ts'],
    },
    // Repository tier: the hard queries called directly on real PostgreSQL (same database setup as e2e).
    {
      ...base,
      displayName: 'repository',
      testMatch: ['<rootDir>/test/repository/**/*.repo-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/openapi-recorder.ts'],
    },
    // Each fault spec runs its own embedded PostgreSQL, which it stops, crashes and restarts. Those
    // that run the server as a child process share one build per run (test/fault/support/build.ts).
    {
      ...base,
      displayName: 'fault',
      testMatch: ['<rootDir>/test/fault/**/*.fault-spec.ts'],
      globalSetup: '<rootDir>/test/fault/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/fault/support/global-teardown.ts',
    },
  ],
};
