import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openBackend } from './open.js'

const dir = mkdtempSync(join(tmpdir(), 'tidings-open-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('opening a database', () => {
  it('lets several connections migrate one new SQLite file at the same time', async () => {
    for (let round = 0; round < 5; round++) {
      const url = `sqlite:${join(dir, `race-${round}.db`)}`
      const backends = await Promise.all([openBackend(url), openBackend(url), openBackend(url)])
      for (const backend of backends) await backend.db.destroy()
      const reopened = await openBackend(url)
      const tables = await reopened.db.introspection.getTables()
      expect(tables.map((t) => t.name)).toContain('users')
      await reopened.db.destroy()
    }
  })

  it('refuses an unknown database URL with bad_request', async () => {
    await expect(openBackend('mysql://nope')).rejects.toMatchObject({ code: 'bad_request' })
  })
})
