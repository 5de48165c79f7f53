import { defineConfig } from 'vitest/config'

// Tests run against package sources (the `@tidings/source` export condition), never stale builds.
// No 'import' here: it would make CommonJS packages (pg requiring pg-pool) load ESM entries.
const resolve = { conditions: ['@tidings/source', 'module', 'node', 'default'] }

export default defineConfig({
  resolve,
  // Vitest hands ssr.resolve.conditions to Node as --conditions, where `import`/`module` would
  // make CommonJS require() load ESM builds (pg's `require('pg-pool')` then breaks).
  ssr: {
    resolve: { conditions: ['@tidings/source', 'node'], externalConditions: ['@tidings/source'] },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/*/src/**/*.test.tsx',
            'bench/src/**/*.test.ts',
          ],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The deterministic simulation (tests/README.md): real client and server code in one
        // process over a simulated network and clock. Its files split the schedules, so they
        // share the run's workers with the other projects (a project-level maxWorkers would
        // need a sequence group of its own, run after all the others).
        extends: true,
        test: {
          name: 'sim',
          include: ['tests/sim/**/*.test.ts'],
          testTimeout: 600_000,
        },
      },
      {
        // Live sync across real server processes on one Postgres (issue 7): one file at a time.
        extends: true,
        test: {
          name: 'live',
          include: ['tests/live/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The READMEs' `doctest` blocks, run as written against a real server (tests/docs).
        extends: true,
        test: { name: 'docs', include: ['tests/docs/**/*.test.ts'], testTimeout: 120_000 },
      },
      {
        // Reliability suite (tests/README.md): real server processes, so files run one at a time.
        extends: true,
        test: {
          name: 'chaos',
          include: ['tests/{chaos,fuzz,recovery,security,spaces,support}/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The packed packages in a fresh app outside the workspace (issue 18): npm install,
        // tsc, a Vite build and Chromium, so one file, long timeouts.
        extends: true,
        test: {
          name: 'packaging',
          include: ['tests/packaging/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The example app in Debian's Chromium (tests/e2e/harness.ts); builds the app if stale.
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.e2e.test.ts'],
          globalSetup: ['tests/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
})
