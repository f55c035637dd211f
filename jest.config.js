/**
 * ts-jest in ESM mode: @actions/core 3 and @actions/http-client 4 are ESM-only.
 * Four projects, so that only a run with end-to-end tests bundles src/ first (its globalSetup).
 */
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.all.json', diagnostics: { ignoreCodes: [151002] } }]
  }
}

const project = (name, extra = {}) => ({ ...common, displayName: name, testMatch: [`<rootDir>/__tests__/${name}/**/*.test.ts`], ...extra })
// The simulator's own tests live in its workspace, beside its source.
const simulatorTests = { ...common, displayName: 'simulator', testMatch: ['<rootDir>/simulator/__tests__/**/*.test.ts'] }

// .ci/run runs the Windows suite in a step of its own, under Wine: QSR_WINDOWS_LATER=1 leaves it out of the
// other runs (where it would only be listed as skipped for want of Wine).
const windowsLater = process.env.QSR_WINDOWS_LATER === '1' ? ['/__tests__/e2e/windows\\.test\\.ts$'] : []

/** No file of src/ under this share of its lines covered (scripts/coverage-check.ts, after the run). */
export const FILE_LINES_FLOOR = 75

export default {
  projects: [
    project('unit'),
    project('integration'),
    simulatorTests,
    // The e2e tests spawn the bundle as the runner does: a fresh bundle of src/, see __tests__/setup/bundle.ts.
    project('e2e', {
      globalSetup: '<rootDir>/__tests__/setup/bundle.ts',
      globalTeardown: '<rootDir>/__tests__/setup/bundle-teardown.ts',
      testPathIgnorePatterns: ['/node_modules/', ...windowsLater]
    })
  ],
  // Global options (not read from a project).
  // Suites that cannot run here (a tool or a file missing) say why, listed once at the end of the run.
  globalSetup: '<rootDir>/__tests__/setup/skipped.ts',
  globalTeardown: '<rootDir>/__tests__/setup/skipped-teardown.ts',
  testTimeout: 60000,
  // End-to-end suites spawn the bundle and a simulator each; two workers fit the 2-core machine.
  maxWorkers: 2,
  // Coverage of the action's source; the entries only call main and post, the .d.ts files and type-only modules hold no code.
  collectCoverageFrom: ['src/**/*.ts', '!src/index.ts', '!src/post-entry.ts', '!src/**/*.d.ts', '!src/toolkit/toolkit.ts', '!src/qrs/authenticator.ts', '!src/auth/method.ts'],
  coverageReporters: ['text-summary', 'text', 'json-summary'],
  // A run with coverage (npm run coverage) fails below these; the per-file floor is FILE_LINES_FLOOR.
  coverageThreshold: { global: { lines: 90, branches: 85 } }
}
