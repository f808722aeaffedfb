// Jest 30 in native ESM mode (node --experimental-vm-modules) with ts-jest; see CONVENTIONS.md.
const aliases = {
  '^@authmesh/(contracts|platform|testing|token-verifier|revocation|service-auth)$': '<rootDir>/libs/$1/src/index.ts',
  // platform's framework-free entry (backoff): what Nest-free cores import.
  '^@authmesh/platform/core$': '<rootDir>/libs/platform/src/core.ts',
  // token-verifier's package subpaths (its package.json `exports`).
  '^@authmesh/token-verifier/(core|nest|passport|passport-jwt)$': '<rootDir>/libs/token-verifier/src/$1/index.ts',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

const base = {
  rootDir: '.',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: aliases,
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }] },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/libs/[^/]+/dist/', '<rootDir>/.data/'],
};

/** @type {import('jest').Config} */
export default {
  // Per-project testTimeout is not honoured; unit tests have no I/O so the bound only matters for the others.
  testTimeout: 60_000,
  // On a 2-core machine Jest picks one worker and would run every file in its own process, in
  // band; ESM test files (vm modules) each leave their module graph behind, so that one heap grew
  // past 4 GB and the last files ran many times slower than alone (a 1 s spec took 47 s in CI).
  // A memory limit makes Jest run files in a worker it recycles once the heap passes it.
  workerIdleMemoryLimit: '1GB',
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs}/*/src/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/*/test/**/*.int-spec.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{apps,libs}/*/test/**/*.e2e-spec.ts', '<rootDir>/e2e/**/*.e2e-spec.ts'],
    },
  ],
};
