import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openNodeDatabase } from '../node.js'
import { t } from '../schema/attr.js'
import { defineSchema } from '../schema/define.js'
import { tableName } from '../store/typed.js'
import type { LocalClient } from './client.js'
import { openClient } from './client.js'
import { compileFetch } from './query.js'

/** The `code` of the error `fn` throws. */
const codeOf = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (error) {
    return (error as { code?: unknown }).code
  }
  throw new Error('expected an error')
}

const shape = { author: t.string(), title: t.string(), year: t.number().optional() }
const indexed = defineSchema({ doc: shape }, { indexes: { doc: [['author', 'title']] } })

/** SQLite's plan of the fetch "author = x, sorted by title, first 50". */
const pagePlan = (client: unknown): string => {
  const store = (client as LocalClient).store
  const query = compileFetch(store.kysely, 'doc', store.schema.shape('doc'), {
    where: { author: 'a' },
    orderBy: { title: 'asc' },
    limit: 50,
  })
  return store.sql
    .all<{ detail: string }>(`EXPLAIN QUERY PLAN ${query.sql}`, [...query.parameters])
    .map((row) => row.detail)
    .join('; ')
}

describe('compound indexes', () => {
  it('serve a filtered, sorted page from the index alone: no sort step', async () => {
    const client = await openClient({ schema: indexed, database: openNodeDatabase(':memory:') })
    await client.transaction(async (tx) => {
      for (let i = 0; i < 200; i++)
        await tx.create('doc', { author: `a${i % 3 === 0 ? '' : i % 3}`, title: `t${199 - i}` })
    })
    const plan = pagePlan(client)
    expect(plan).toMatch(`USING INDEX ${tableName('doc')}_author_title`)
    expect(plan).not.toMatch(/TEMP B-TREE/)
    const page = await client.fetch('doc', {
      where: { author: 'a' },
      orderBy: { title: 'asc' },
      limit: 50,
    })
    const titles = page.map((d) => d.title)
    expect(titles).toHaveLength(50)
    expect(titles).toEqual([...titles].sort())
    expect(page.every((d) => d.author === 'a')).toBe(true)
    await client.close()
  })

  it('are added to an existing database when the schema declares them later', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'tidings-index-')), 'app.db')
    const plain = defineSchema({ doc: shape })
    const before = await openClient({ schema: plain, database: openNodeDatabase(file) })
    await before.create('doc', { author: 'a', title: 'kept' })
    expect(pagePlan(before)).toMatch(/TEMP B-TREE/)
    await before.close()
    const after = await openClient({ schema: indexed, database: openNodeDatabase(file) })
    expect(pagePlan(after)).not.toMatch(/TEMP B-TREE/)
    expect((await after.fetch('doc')).map((d) => d.title)).toEqual(['kept'])
    await after.close()
  })

  it('must name declared types and attributes', () => {
    expect(
      codeOf(() =>
        // @ts-expect-error: `pages` is not an attribute of doc
        defineSchema({ doc: shape }, { indexes: { doc: [['author', 'pages']] } }),
      ),
    ).toBe('bad_request')
    expect(
      codeOf(() =>
        // @ts-expect-error: `book` is not a type of this schema
        defineSchema({ doc: shape }, { indexes: { book: [['title']] } }),
      ),
    ).toBe('bad_request')
  })
})
