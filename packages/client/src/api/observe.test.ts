import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { internals, memoryClient } from '../test/fixtures.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('observe', () => {
  it('fires at start, then after committed changes that alter the result', async () => {
    const client = await memoryClient()
    const seen: string[][] = []
    const off = client.observe(
      'document',
      { where: { author: 'Ada' }, orderBy: { title: 'asc' } },
      (rows) => seen.push(rows.map((r) => r.title)),
    )
    await tick()
    expect(seen).toEqual([[]])
    await client.create('document', { author: 'Ada', title: 'B' })
    await internals(client).settled()
    await client.transaction(async (tx) => {
      await tx.create('document', { author: 'Ada', title: 'A' })
      await tx.create('document', { author: 'Ada', title: 'C' })
    })
    await internals(client).settled()
    await client.create('document', { author: 'Grace', title: 'not matching' })
    await client.create('simple', {})
    await internals(client).settled()
    expect(seen).toEqual([[], ['B'], ['A', 'B', 'C']])
    off()
    await client.create('document', { author: 'Ada', title: 'D' })
    await internals(client).settled()
    expect(seen).toHaveLength(3)
  })

  it('runs after the write resolves, never inside it, and once for a burst of writes', async () => {
    const client = await memoryClient()
    const seen: number[] = []
    client.observe('document', {}, (rows) => seen.push(rows.length))
    await tick()
    expect(seen).toEqual([0])
    // The write's caller gets control back before any live query re-runs: a write costs the
    // same with a big list on screen as with none.
    await client.create('document', { author: 'Ada', title: 'one' })
    expect(seen).toEqual([0])
    for (let i = 0; i < 50; i++) await client.create('document', { author: 'Ada', title: `${i}` })
    await internals(client).settled()
    // 51 commits, one re-run: the observer sees the committed end state, once.
    expect(seen).toEqual([0, 51])
  })

  it('fires for changes applied from another client', async () => {
    const a = await memoryClient()
    const b = await memoryClient()
    const seen: number[] = []
    b.observe('document', {}, (rows) => seen.push(rows.length))
    await tick()
    await a.create('document', { author: 'Ada', title: 'remote' })
    const source = internals(a).store
    internals(b).receive(source.bundleIds().map((id) => source.bundle(id)!))
    await internals(b).settled()
    expect(seen).toEqual([0, 1])
  })

  it('stops at close: nothing pending fires afterwards', async () => {
    const client = await memoryClient()
    const seen: number[] = []
    client.observe('document', {}, (rows) => seen.push(rows.length))
    await tick()
    await client.create('document', { author: 'Ada', title: 'late' })
    await client.close()
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(seen).toEqual([0])
  })
})

describe('observe re-runs only the live queries a local write can change', () => {
  it('a write whose where field proves it out of the result does not re-run the query', async () => {
    const client = await memoryClient()
    for (const author of ['Ada', 'Grace'])
      client.observe('document', { where: { author } }, () => {})
    await tick()
    const runs = async () =>
      Object.fromEntries(
        (await client.inspector().liveQueries()).map((q) => [
          (q.query as { where: { author: string } }).where.author,
          q.runs,
        ]),
      )
    const before = await runs()
    await client.create('document', { author: 'Ada', title: 'for Ada' })
    await internals(client).settled()
    // Ada's query ran again; Grace's did not: the new document's author is not Grace.
    expect(await runs()).toEqual({ Ada: before.Ada! + 1, Grace: before.Grace })
  })

  it('every live query still equals a fresh fetch after any sequence of writes', async () => {
    const authors = ['Ada', 'Grace', 'Alan']
    const write = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), author: fc.constantFrom(...authors) }),
      fc.record({
        kind: fc.constant('update' as const),
        at: fc.nat(),
        author: fc.option(fc.constantFrom(...authors), { nil: undefined }),
        title: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }),
      }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(write, { maxLength: 4 }), { maxLength: 6 }),
        async (batches) => {
          const client = await memoryClient()
          const queries = [
            ...authors.map((author) => ({ where: { author } })),
            { where: { author: 'Ada', title: 'x' } },
            { where: { title: 'y' } },
            {},
          ]
          const shown = queries.map(() => [] as string[])
          for (const [i, query] of queries.entries()) {
            client.observe('document', query, (rows) => {
              shown[i] = rows.map((row) => row.id).sort()
            })
          }
          const ids: string[] = []
          for (const batch of batches) {
            await client.transaction(async (tx) => {
              for (const w of batch) {
                if (w.kind === 'create') {
                  ids.push((await tx.create('document', { author: w.author, title: 't' })).id)
                  continue
                }
                const id = ids[w.at % Math.max(1, ids.length)]
                if (!id || !(await tx.get('document', id))) continue
                if (w.kind === 'delete') await tx.delete('document', id)
                else {
                  const fields = {
                    ...(w.author && { author: w.author }),
                    ...(w.title && { title: w.title }),
                  }
                  await tx.update('document', id, fields)
                }
              }
            })
            await internals(client).settled()
            for (const [i, query] of queries.entries()) {
              const fetched = (await client.fetch('document', query)).map((row) => row.id).sort()
              expect(shown[i]).toEqual(fetched)
            }
          }
          await client.close()
        },
      ),
      { numRuns: 60 },
    )
  })
})
