import { DEFAULT_LIMITS, isTidingsError, TidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { internals, memoryClient } from '../test/fixtures.js'

/** What a call threw, as the app would branch on it. */
const refusal = async (call: Promise<unknown>) => {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  )
  if (!isTidingsError(error)) throw new Error(`expected a TidingsError, got ${String(error)}`)
  return { code: error.code, details: error.details, message: error.message }
}

/** Everything a write could have left behind: log, outbox, rows. */
const stored = (client: Awaited<ReturnType<typeof memoryClient>>) => {
  const store = internals(client).store
  return { bundles: store.bundleIds().length, pending: store.pending(), dump: store.dump() }
}

// The server refuses a value over `maxValueBytes` (256 KiB of JSON by default). Before, the
// client stored it, and the whole transaction that carried it was refused at sync.
describe('a value over the size limit the server takes', () => {
  const limit = DEFAULT_LIMITS.maxValueBytes
  const tooBig = 'x'.repeat(limit) // plus two quotes: 2 bytes over

  it('is refused at create with too_large naming type, attribute, bytes and limit; nothing is stored', async () => {
    const client = await memoryClient()
    const before = stored(client)
    expect(await refusal(client.create('document', { author: 'A', title: tooBig }))).toMatchObject({
      code: 'too_large',
      details: { type: 'document', attribute: 'title', bytes: limit + 2, limit },
      message: expect.stringContaining('document.title'),
    })
    expect(stored(client)).toEqual(before)
    expect(await client.fetch('document')).toEqual([])
  })

  it('is refused at update; the entity keeps its value and nothing is queued', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'A', title: 'Dune' })
    const before = stored(client)
    expect((await refusal(client.update('document', doc.id, { title: tooBig }))).code).toBe(
      'too_large',
    )
    expect(stored(client)).toEqual(before)
    expect(await client.get('document', doc.id)).toEqual(doc)
  })

  it('sinks the transaction it is in, unless the app catches it and carries on', async () => {
    const client = await memoryClient()
    await expect(
      client.transaction(async (tx) => {
        await tx.create('document', { author: 'A', title: 'kept only if the tx commits' })
        await tx.create('document', { author: 'B', title: tooBig })
      }),
    ).rejects.toThrow(TidingsError)
    expect(await client.fetch('document')).toEqual([])
    await client.transaction(async (tx) => {
      await tx.create('document', { author: 'A', title: 'Dune' })
      await expect(tx.create('document', { author: 'B', title: tooBig })).rejects.toThrow()
    })
    expect((await client.fetch('document')).map((d) => d.author)).toEqual(['A'])
  })

  it('counts UTF-8 bytes of the JSON text, for json values too, and follows the configured limit', async () => {
    const client = await memoryClient({ limits: { maxValueBytes: 16 } })
    await client.create('document', { author: 'A', title: 'é'.repeat(7) }) // 14 bytes + 2 quotes
    const over = await refusal(client.create('document', { author: 'A', title: 'é'.repeat(8) }))
    expect(over.details).toMatchObject({ bytes: 18, limit: 16 })
    const json = await refusal(client.create('simple', { items: ['abcdef', 'ghijkl'] }))
    expect(json.details).toMatchObject({ type: 'simple', attribute: 'items', bytes: 19 })
  })

  it('a value exactly at the limit is taken', async () => {
    const client = await memoryClient()
    const doc = await client.create('document', { author: 'A', title: tooBig.slice(2) })
    expect((await client.get('document', doc.id))?.title).toHaveLength(limit - 2)
  })
})
