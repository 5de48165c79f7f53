import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import { type TestDatabase, tempSqlite } from '../testing/backends.js'
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

describe('tidings space list|members|remove', () => {
  let database: TestDatabase
  let store: Store
  const kit = new SpacesTestKit(() => store)
  const ids = {} as Record<'ann' | 'bob' | 'cat' | 'library' | 'recipes', string>

  // One library owned by ann, with bob (writer) and cat (reader); a recipes space of bob's.
  beforeAll(async () => {
    database = await tempSqlite()
    store = await openStore(database.url)
    for (const name of ['ann', 'bob', 'cat'] as const) ids[name] = await kit.user(name)
    ids.library = await kit.space(ids.ann, 'Library')
    await kit.join(ids.library, ids.ann, ids.bob, 'writer')
    await kit.join(ids.library, ids.ann, ids.cat, 'reader')
    ids.recipes = await kit.space(ids.bob, 'Recipes')
    await store.close()
  })
  afterAll(async () => {
    await database?.dispose()
  })

  it('lists every shared space with its members and owners, as text or JSON', async () => {
    const text = await tidings(database.url, 'space', 'list')
    expect(text.code).toBe(0)
    expect(text.stdout.split('\n')).toEqual([
      `${ids.library}\tLibrary\t3 members\towners: ann`,
      `${ids.recipes}\tRecipes\t1 member\towners: bob`,
    ])
    const json = await tidings(database.url, 'space', 'list', '--json')
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ id: ids.library, name: 'Library', members: 3, owners: ['ann'] }),
      expect.objectContaining({ id: ids.recipes, name: 'Recipes', members: 1, owners: ['bob'] }),
    ])
  })

  it('lists a space’s members, named by id or by its unique name', async () => {
    const byName = await tidings(database.url, 'space', 'members', 'Library')
    expect(byName.stdout.split('\n')).toEqual([
      `ann\t${ids.ann}\towner`,
      `bob\t${ids.bob}\twriter`,
      `cat\t${ids.cat}\treader`,
    ])
    const json = await tidings(database.url, 'space', 'members', ids.library, '--json')
    expect(JSON.parse(json.stdout)).toEqual([
      { user: ids.ann, name: 'ann', role: 'owner' },
      { user: ids.bob, name: 'bob', role: 'writer' },
      { user: ids.cat, name: 'cat', role: 'reader' },
    ])
    const missing = await tidings(database.url, 'space', 'members', 'Nowhere')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no shared space "Nowhere"')
  })

  it('removes a member only with --yes, and never the last owner', async () => {
    const unsure = await tidings(database.url, 'space', 'remove', 'Library', 'cat')
    expect(unsure.code).toBe(2)
    expect(unsure.stderr).toContain('add --yes')
    const removed = await tidings(database.url, 'space', 'remove', 'Library', 'cat', '--yes')
    expect(removed.code).toBe(0)
    expect(removed.stdout).toBe(`removed cat (${ids.cat}) from Library (${ids.library})`)
    const members = await tidings(database.url, 'space', 'members', 'Library', '--json')
    expect(JSON.parse(members.stdout).map((m: { name: string }) => m.name)).toEqual(['ann', 'bob'])
    const owner = await tidings(database.url, 'space', 'remove', 'Library', 'ann', '--yes')
    expect(owner.code).toBe(1)
    expect(owner.stderr).toContain('without an owner')
    const json = await tidings(
      database.url,
      'space',
      'remove',
      ids.library,
      ids.bob,
      '--yes',
      '--json',
    )
    expect(JSON.parse(json.stdout)).toEqual({ space: ids.library, user: ids.bob, removed: true })
    const again = await tidings(database.url, 'space', 'remove', 'Library', 'bob', '--yes')
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('bob is not a member')
  })

  it('says how to use it when the command line is wrong', async () => {
    for (const args of [
      ['space'],
      ['space', 'members'],
      ['space', 'remove', 'Library'],
      ['space', 'list', 'extra'],
    ]) {
      const wrong = await tidings(database.url, ...args)
      expect(wrong.code, args.join(' ')).toBe(2)
      expect(wrong.stderr).toContain('tidings space list')
    }
  })
})
