import type { Bundle } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { internals, librarySchema, memoryClient } from '../test/fixtures.js'
import { pagedServer } from '../test/paged-server.js'

/** Bundles of another device: `count` documents, one bundle each. */
const othersBundles = async (count: number): Promise<Bundle[]> => {
  const writer = await memoryClient()
  const bundles: Bundle[] = []
  for (let i = 0; i < count; i++)
    bundles.push(
      internals(writer).store.commitLocal(
        [{ type: 'document', entity: `d${i}`, attribute: 'title', value: `t${i}` }],
        10,
      ).bundle,
    )
  await writer.close()
  return bundles
}

describe('pulling the next page while applying the current one', () => {
  it('asks for each page exactly once, in order, and saves the last cursor', async () => {
    const bundles = await othersBundles(4)
    const server = pagedServer(bundles)
    const client = await openClient({
      schema: librarySchema,
      database: openNodeDatabase(':memory:'),
      server: { url: 'http://fake', token: 't', fetch: server.fetch },
    })
    expect(await client.sync()).toEqual({ pushed: 0, pulled: 4 })
    expect(server.cursors).toEqual([null, '1', '2', '3'])
    expect(internals(client).store.getState('cursor')).toBe('4')
    expect((await client.fetch('document')).map((d) => d.title)).toEqual(['t0', 't1', 't2', 't3'])
    await client.close()
  })

  it('drops the page asked ahead when applying the current one fails, and resumes after it', async () => {
    const bundles = await othersBundles(4)
    const server = pagedServer(bundles)
    let fail = true
    const client = await openClient({
      schema: librarySchema,
      database: openNodeDatabase(':memory:'),
      server: { url: 'http://fake', token: 't', fetch: server.fetch },
      hooks: {
        afterApplyBundle: () => {
          // The second page fails once, after its request for the third went out.
          if (fail && server.cursors.length === 3) {
            fail = false
            throw new Error('crash while applying')
          }
        },
      },
    })
    await expect(client.sync()).rejects.toThrow('crash while applying')
    expect(internals(client).store.getState('cursor')).toBe('1')
    expect(await client.sync()).toEqual({ pushed: 0, pulled: 3 })
    expect(internals(client).store.getState('cursor')).toBe('4')
    expect(await client.fetch('document')).toHaveLength(4)
    await client.close()
  })
})
