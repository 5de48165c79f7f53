import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import { type TestDatabase, tempSqlite } from '../testing/backends.js'
import { TestClient } from '../testing/fixtures.js'
import { SpacesTestKit } from '../testing/spaces.js'
import { type CliIo, runTidings } from './main.js'

/** Runs `tidings ARGS --db URL` in process; answers its exit code and what it printed. */
const tidings = async (url: string, ...args: string[]) => {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: {} }
  const { code } = await runTidings([...args, '--db', url], io)
  return { code, stdout: out.join('\n'), stderr: err.join('\n') }
}

describe('tidings user delete', () => {
  let database: TestDatabase
  const ids = {} as Record<'ann' | 'bob' | 'cat' | 'notes' | 'club', string>

  // ann: two private bundles, a space of her own (notes) and one she alone owns that cat reads
  // (club); bob: nothing shared.
  beforeAll(async () => {
    database = await tempSqlite()
    const store: Store = await openStore(database.url)
    const kit = new SpacesTestKit(() => store)
    for (const name of ['ann', 'bob', 'cat'] as const) ids[name] = await kit.user(name)
    const device = new TestClient()
    await store.push({ stream: ids.ann, bundles: [device.bundle(), device.bundle()], now: 1 })
    ids.notes = await kit.space(ids.ann, 'Notes')
    ids.club = await kit.space(ids.ann, 'Club')
    await kit.join(ids.club, ids.ann, ids.cat, 'reader')
    await store.close()
  })
  afterAll(async () => {
    await database?.dispose()
  })

  const users = async () =>
    (
      JSON.parse((await tidings(database.url, 'user', 'list', '--json')).stdout) as Array<{
        name: string
      }>
    ).map((u) => u.name)

  it('without --yes says what it would delete, deletes nothing and exits 1', async () => {
    const res = await tidings(database.url, 'user', 'delete', 'bob')
    expect(res.code).toBe(1)
    expect(res.stdout).toBe('')
    expect(res.stderr).toContain('user delete needs --yes; it would delete user bob')
    expect(res.stderr).toContain('0 bundles of its private space')
    const json = await tidings(database.url, 'user', 'delete', 'bob', '--json')
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ deleted: false, user: { name: 'bob' } })
    expect(await users()).toContain('bob')
  })

  it('refuses a user that alone owns a space others use, naming it', async () => {
    const res = await tidings(database.url, 'user', 'delete', 'ann', '--yes')
    expect(res.code).toBe(1)
    expect(res.stderr).toContain(`ann is the only owner of Club (${ids.club})`)
    expect(await users()).toContain('ann')
  })

  it('with --yes deletes the user and its spaces, as text or JSON', async () => {
    const bob = await tidings(database.url, 'user', 'delete', 'bob', '--yes')
    expect(bob.code).toBe(0)
    expect(bob.stdout).toContain(`deleted user bob (${ids.bob})`)
    await tidings(database.url, 'space', 'remove', 'Club', 'cat', '--yes')
    const ann = await tidings(database.url, 'user', 'delete', 'ann', '--yes', '--json')
    expect(ann.code).toBe(0)
    expect(JSON.parse(ann.stdout)).toMatchObject({
      deleted: true,
      user: { id: ids.ann, name: 'ann' },
      bundles: 2,
      spaces: [
        { id: ids.club, name: 'Club', role: 'owner', bundles: 0 },
        { id: ids.notes, name: 'Notes', role: 'owner', bundles: 0 },
      ],
    })
    expect(await users()).toEqual(['cat'])
    expect((await tidings(database.url, 'space', 'list')).stdout).toBe('no shared spaces yet')
    const again = await tidings(database.url, 'user', 'delete', 'ann', '--yes')
    expect(again).toMatchObject({ code: 1, stderr: 'tidings: no user named "ann"' })
  })

  it('needs a NAME', async () => {
    const res = await tidings(database.url, 'user', 'delete')
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('user delete needs a NAME')
  })
})
