import { DEFAULT_LIMITS } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { rememberSpace } from '../store/known-spaces.js'
import { internals, type LibraryClient, memoryClient } from '../test/fixtures.js'
import { compareBundles } from './compare.js'
import { RejectedBundles } from './rejected.js'
import type { Transport } from './transport.js'

const SPACE = '01a24000-0000-7000-8000-0000000000aa'

/** Writes one document as `author` and hands its bundle to `device`, as a pull would; its id. */
const pulled = async (
  author: LibraryClient,
  device: LibraryClient,
  space: string | null,
): Promise<string> => {
  await author.create('document', { author: 'x', title: 't' }, { space })
  const store = internals(author).store
  const id = store.outbox(0, 1_000).at(-1)?.bundle as string
  internals(device).receive([store.bundle(id) as NonNullable<ReturnType<typeof store.bundle>>])
  return id
}

/** A server restored from an empty backup: it lists no bundle in any space. */
const emptyServer = { get: async () => ({ body: { ids: [] } }) } as unknown as Transport

describe('comparing bundle ids after a restore (compareBundles)', () => {
  it("pushes again a sibling device's bundles of a shared space the server lacks, and drops another user's", async () => {
    const [device, sibling, other] = await Promise.all([
      memoryClient(),
      memoryClient(),
      memoryClient(),
    ])
    for (const client of [device, sibling, other])
      rememberSpace(internals(client).store.sql, { id: SPACE, name: 's', role: 'writer' })
    // The sibling wrote into the private space: only this user's devices can, so it is ours.
    const siblingPrivate = await pulled(sibling, device, null)
    const siblingShared = await pulled(sibling, device, SPACE)
    const othersShared = await pulled(other, device, SPACE)
    const store = internals(device).store
    const result = await compareBundles(
      store,
      emptyServer,
      DEFAULT_LIMITS,
      new RejectedBundles(store),
      () => undefined,
    )
    const queued = store.outbox(0, 1_000).map((r) => r.bundle)
    expect(queued.sort()).toEqual([siblingPrivate, siblingShared].sort())
    expect(result.missingOnServer).toBe(2)
    expect(store.hasBundle(siblingShared)).toBe(true)
    expect(store.hasBundle(othersShared)).toBe(false)
  })
})
