import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll } from 'vitest'
import { type AppDeps, buildApp } from '../http/app.js'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import type { TestBackend, TestDatabase } from './backends.js'

/** What a suite over one backend works with, ready from its `beforeAll` on. */
export interface AppSuite {
  database: TestDatabase
  store: Store
  app: FastifyInstance
}

/**
 * Registers the hooks of a suite over one backend: a fresh database, its store and an app on
 * it (with `options`), all closed after the suite. Read the fields inside tests, not before.
 */
export const appSuite = (backend: TestBackend, options: Omit<AppDeps, 'store'> = {}): AppSuite => {
  const suite = {} as AppSuite
  beforeAll(async () => {
    suite.database = await backend.create()
    suite.store = await openStore(suite.database.url)
    suite.app = await buildApp({ store: suite.store, ...options })
  })
  afterAll(async () => {
    await suite.app?.close()
    await suite.store?.close()
    await suite.database?.dispose()
  })
  return suite
}
