import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { heldPartIds } from '../store/parts.js'
import { internals } from '../test/fixtures.js'
import { type RunningServer, serverClient, startBackend } from '../test/server.js'

/** Documents of the bulk import; each is two writes (author, title). */
const DOCUMENTS = 50_000
const WRITES = DOCUMENTS * 2

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`

// Issue 13, case 6: a transaction of more than `maxEventsPerBundle` (10,000) writes, a bulk
// import, threw `too_large`. Now it commits locally as parts of one group, and every other
// device applies it whole or not at all.
describe('a transaction of 100,000 writes, through a real server (sqlite)', () => {
  let server: RunningServer
  beforeAll(async () => {
    // Pull pages of one bundle: the reader sees the import arrive part by part.
    server = (await startBackend('sqlite', { maxPageBundles: 1 })).server
  })
  afterAll(() => server?.close())

  it('commits locally and reaches another device atomically: no observer ever sees part of it', {
    timeout: 300_000,
  }, async () => {
    const user = await server.addUser(`bulk-${Date.now()}`)
    // At most 4 bundles per request, so the parts also travel in several requests.
    const writer = await serverClient(server, user.token, { limits: { maxBundlesPerRequest: 4 } })
    await writer.create('document', { author: 'before', title: 'a small transaction first' })

    let started = performance.now()
    await writer.transaction(async (tx) => {
      for (let i = 0; i < DOCUMENTS; i++)
        await tx.create('document', { author: `author ${i % 97}`, title: `title ${i}` })
    })
    console.info(`${WRITES} writes committed locally in ${seconds(started)}`)
    const parts = internals(writer).store.bundleIds().length - 1
    expect(parts).toBe(WRITES / 10_000)
    expect(await writer.fetch('document')).toHaveLength(DOCUMENTS + 1)
    await writer.create('document', { author: 'after', title: 'a small transaction last' })

    started = performance.now()
    expect(await writer.sync()).toEqual({ pushed: parts + 2, pulled: 0 })
    console.info(`pushed as ${parts} parts in ${seconds(started)}`)

    // The reader checks its committed state before every request of its sync (so between
    // every two pages) and whenever an observer fires.
    let reader: Awaited<ReturnType<typeof serverClient>> | undefined
    const seen: Array<{ documents: number; held: number }> = []
    const look = async () => {
      if (!reader) return
      const documents = (await reader.fetch('document')).length
      seen.push({ documents, held: heldPartIds(internals(reader).store.sql).length })
    }
    reader = await serverClient(server, user.token, {
      server: {
        fetch: async (input, init) => {
          await look()
          return fetch(input, init)
        },
      },
    })
    const observed: number[] = []
    reader.observe('document', {}, (rows) => observed.push(rows.length))

    started = performance.now()
    expect(await reader.sync()).toEqual({ pushed: 0, pulled: parts + 2 })
    console.info(`pulled page by page (one bundle a page) in ${seconds(started)}`)
    await look()

    const whole = [0, 1, DOCUMENTS + 1, DOCUMENTS + 2]
    for (const { documents } of seen) expect(whole).toContain(documents)
    for (const count of observed) expect(whole).toContain(count)
    // It did look mid-transaction: with parts held aside, and before the last page.
    expect(seen.filter((s) => s.held > 0).length).toBeGreaterThanOrEqual(parts - 2)
    expect(seen.at(-1)).toEqual({ documents: DOCUMENTS + 2, held: 0 })
    expect(internals(reader).store.dump()).toEqual(internals(writer).store.dump())

    // verify() fetches by id (POST /v1/bundles/get): parts come with their marker there too.
    const late = await serverClient(server, user.token)
    started = performance.now()
    expect(await late.verify()).toMatchObject({ missingLocally: parts + 2, pulled: parts + 2 })
    console.info(`a third device verified and applied it in ${seconds(started)}`)
    expect(internals(late).store.dump()).toEqual(internals(writer).store.dump())
    expect(await reader.verify()).toMatchObject({ missingLocally: 0, missingOnServer: 0 })
    for (const c of [writer, reader, late]) await c.close()
  })
})
