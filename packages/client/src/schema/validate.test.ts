import { isTidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { memoryClient } from '../test/fixtures.js'
import { t } from './attr.js'
import { defineSchema } from './define.js'

/** Expects `promise` to reject with `bad_request` whose message names `field`. */
const rejectsNaming = async (promise: Promise<unknown>, field: string) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(isTidingsError(error, 'bad_request'), String(error)).toBe(true)
  expect((error as Error).message).toContain(field)
}

describe('validation before anything is written', () => {
  it('refuses wrong value types, naming the field', async () => {
    const client = await memoryClient()
    const loose = client as unknown as { create(type: string, fields: unknown): Promise<unknown> }
    await rejectsNaming(loose.create('document', { author: 1, title: 'x' }), 'document.author')
    await rejectsNaming(loose.create('shelf', { name: 'x', opened: 'yesterday' }), 'shelf.opened')
    await rejectsNaming(loose.create('shelf', { name: 'x', public: 'yes' }), 'shelf.public')
    await rejectsNaming(
      loose.create('book', { title: 'x', shelf: 's', pages: Number.NaN }),
      'book.pages',
    )
    await rejectsNaming(loose.create('simple', { items: [() => 1] }), 'simple.items')
    expect(client.status.pending).toBe(0)
    expect(await client.fetch('document')).toEqual([])
  })

  it('refuses unknown fields, missing required ones, unknown types and null for required', async () => {
    const client = await memoryClient()
    const loose = client as unknown as {
      create(type: string, fields: unknown): Promise<{ id: string }>
      update(type: string, id: string, patch: unknown): Promise<unknown>
    }
    await rejectsNaming(
      loose.create('document', { author: 'a', title: 'b', colour: 'red' }),
      'document.colour',
    )
    await rejectsNaming(loose.create('document', { author: 'a' }), 'document.title')
    await rejectsNaming(loose.create('magazine', {}), 'magazine')
    const doc = await loose.create('document', { author: 'a', title: 'b' })
    await rejectsNaming(loose.update('document', doc.id, { title: null }), 'document.title')
    await rejectsNaming(loose.update('document', doc.id, { id: 'other' }), 'document.id')
    await rejectsNaming(client.fetch('document', { where: { nope: 1 } as never }), 'document.nope')
    expect(client.status.pending).toBe(1)
  })

  it('refuses schemas whose names cannot be SQL identifiers or are reserved', () => {
    expect(() => defineSchema({ 'bad type': { a: t.string() } })).toThrow(/not an identifier/)
    expect(() => defineSchema({ doc: { deleted: t.boolean() } })).toThrow(/reserved/)
    expect(() => defineSchema({ doc: { id: t.string() } })).toThrow(/reserved/)
    expect(() => defineSchema({ doc: { space: t.string() } })).toThrow(/reserved/)
    expect(() => defineSchema({ doc: { owner: t.ref('person') } })).toThrow(/unknown type "person"/)
  })
})
