import { isTidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { loadBetterSqlite3 } from './node-driver.js'

/** What Node's ESM loader throws for a package that is not installed. */
const notFound = (name: string) =>
  Object.assign(new Error(`Cannot find package '${name}' imported from /app/node.js`), {
    code: 'ERR_MODULE_NOT_FOUND',
  })

describe('loadBetterSqlite3', () => {
  it('loads the installed driver', async () => {
    const Database = (await loadBetterSqlite3())()
    const db = new Database(':memory:')
    expect(db.prepare('select 1 as one').get()).toEqual({ one: 1 })
    db.close()
  })

  it('names the package to install when better-sqlite3 is missing', async () => {
    const get = await loadBetterSqlite3(() => Promise.reject(notFound('better-sqlite3')))
    let thrown: unknown
    try {
      get()
    } catch (error) {
      thrown = error
    }
    expect(isTidingsError(thrown, 'internal')).toBe(true)
    expect((thrown as Error).message).toContain('npm install better-sqlite3')
    expect((thrown as { details: unknown }).details).toEqual({ missingPackage: 'better-sqlite3' })
  })

  it('lets any other failure through unchanged', async () => {
    const other = notFound('bindings')
    await expect(loadBetterSqlite3(() => Promise.reject(other))).rejects.toBe(other)
  })
})
