import { describe, expectTypeOf, it } from 'vitest'
import type { Client } from '../api/types.js'
import { t } from './attr.js'
import { defineSchema } from './define.js'
import type { CreateInput, Entity, Patch, Where } from './types.js'

const schema = defineSchema({
  document: { author: t.string(), title: t.string(), url: t.string().optional() },
  simple: { items: t.json<string[]>().default([]) },
  task: {
    done: t.boolean().default(false),
    due: t.date().optional(),
    weight: t.number(),
    list: t.ref('simple'),
  },
})
type S = typeof schema.types

describe('type inference from defineSchema', () => {
  it('infers the object type of each entity type', () => {
    expectTypeOf<Entity<S['document']>>().toEqualTypeOf<{
      id: string
      space: string | null
      author: string
      title: string
      url?: string
    }>()
    expectTypeOf<Entity<S['simple']>>().toEqualTypeOf<{
      id: string
      space: string | null
      items: string[]
    }>()
    expectTypeOf<Entity<S['task']>>().toEqualTypeOf<{
      id: string
      space: string | null
      done: boolean
      weight: number
      list: string
      due?: Date
    }>()
  })

  it('makes attributes with a default or optional ones optional in create, and all optional in update', () => {
    expectTypeOf<CreateInput<S['task']>>().toEqualTypeOf<{
      id?: string
      weight: number
      list: string
      done?: boolean
      due?: Date
    }>()
    expectTypeOf<Patch<S['document']>>().toEqualTypeOf<{
      author?: string
      title?: string
      url?: string | null
    }>()
  })

  it('types the client methods by entity type name', () => {
    type C = Client<S>
    expectTypeOf<C['get']>().toBeCallableWith('document', 'id')
    expectTypeOf<ReturnType<C['fetch']>>().toEqualTypeOf<
      Promise<Array<Entity<S[keyof S & string]>>>
    >()
    const check = async (client: C) => {
      const doc = await client.create('document', { author: 'a', title: 'b' })
      expectTypeOf(doc).toEqualTypeOf<Entity<S['document']>>()
      const tasks = await client.fetch('task', {
        where: { weight: { gt: 2 }, due: { lt: new Date() } },
        orderBy: { due: 'desc' },
      })
      expectTypeOf(tasks).toEqualTypeOf<Array<Entity<S['task']>>>()
      // @ts-expect-error unknown entity type
      await client.get('nope', 'id')
      // @ts-expect-error title is required
      await client.create('document', { author: 'a' })
      // @ts-expect-error wrong value type
      await client.update('document', doc.id, { title: 3 })
      // @ts-expect-error unknown attribute in where
      await client.fetch('document', { where: { missing: 1 } })
      // @ts-expect-error only ref attributes relate
      await client.related('task', 'weight', 'x')
      await client.related('task', 'list', 'x')
    }
    expectTypeOf(check).toBeFunction()
  })

  it('types where clauses with operators on the attribute value type', () => {
    expectTypeOf<{ title: { like: 'A%' } }>().toExtend<Where<S['document']>>()
    expectTypeOf<{ weight: { in: [1, 2] } }>().toExtend<Where<S['task']>>()
    expectTypeOf<{ weight: { gt: 'x' } }>().not.toExtend<Where<S['task']>>()
  })

  it('types reads of a versioned schema as possibly absent, unless a default stands in', () => {
    // Another app version may have written a value this one cannot read: never shown as a value.
    const versioned = defineSchema(
      {
        book: {
          title: t.string(),
          pages: t.number().from('string', (s) => Number.parseInt(s, 10)),
          isbn: t.string().optional(),
          shelved: t.boolean().default(false),
          name: t.string().renamedFrom('label'),
        },
      },
      { version: 2 },
    )
    type V = typeof versioned.types
    expectTypeOf<Entity<V['book']>>().toEqualTypeOf<{
      id: string
      space: string | null
      shelved: boolean
      title?: string
      pages?: number
      isbn?: string
      name?: string
    }>()
    // Writes still ask for what the schema requires.
    expectTypeOf<CreateInput<V['book']>>().toEqualTypeOf<{
      id?: string
      title: string
      pages: number
      name: string
      isbn?: string
      shelved?: boolean
    }>()
    expectTypeOf<Patch<V['book']>>().toEqualTypeOf<{
      title?: string
      pages?: number
      name?: string
      shelved?: boolean
      isbn?: string | null
    }>()
  })

  it('types an attribute with a conversion as possibly absent even without a version', () => {
    const converted = defineSchema({
      book: { title: t.string(), pages: t.number().from('string', (s) => Number(s)) },
    })
    expectTypeOf<Entity<typeof converted.types.book>>().toEqualTypeOf<{
      id: string
      space: string | null
      title: string
      pages?: number
    }>()
    // A conversion receives the value as its kind reads: a date as a Date, JSON as JSON.
    t.string().from('date', (d) => {
      expectTypeOf(d).toEqualTypeOf<Date>()
      return d.toISOString()
    })
    // @ts-expect-error a conversion must give the attribute's value type
    t.number().from('string', (s) => s)
  })
})
