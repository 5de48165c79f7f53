import { defineConfig } from 'vitest/config'

// Tests run against package sources (the `@tidings/source` export condition), never stale builds.
const resolve = { conditions: ['@tidings/source', 'module', 'node', 'import', 'default'] }

export default defineConfig({
  resolve,
  ssr: { resolve: { conditions: resolve.conditions, externalConditions: ['@tidings/source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test.tsx'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
