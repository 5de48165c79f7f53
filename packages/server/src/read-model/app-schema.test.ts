import { checkCreate, checkPatch, defineSchema, TidingsError, t } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { appSchemaOf } from './app-schema.js'
import { parseSchema } from './schema-file.js'

/** `serve --schema FILE` gives the writes route the app's types too, from the JSON export. */
describe('the app schema rebuilt from a schema file', () => {
  const app = defineSchema(
    {
      shelf: { name: t.string() },
      document: {
        title: t.string(),
        author: t.string().index(),
        url: t.string().optional(),
        pages: t.number().default(1),
        shelf: t.ref('shelf').optional(),
        added: t.date().optional(),
      },
    },
    { indexes: { document: [['author', 'title']] } },
  )
  const file = JSON.parse(
    JSON.stringify({ ...app, indexes: { document: app.indexes('document') } }),
  ) as unknown
  const schema = appSchemaOf(parseSchema(file))

  const reason = (fn: () => unknown): unknown => {
    try {
      fn()
    } catch (error) {
      expect(error).toBeInstanceOf(TidingsError)
      return ((error as TidingsError).details as { reason?: string } | undefined)?.reason
    }
    throw new Error('expected a refusal')
  }

  it('checks creates as the app does: optional attributes may be left out, defaults filled', () => {
    const fields = { title: 'Notes', author: 'Ada' }
    expect(checkCreate(schema, 'document', fields)).toEqual(checkCreate(app, 'document', fields))
    expect(reason(() => checkCreate(schema, 'document', { title: 'Notes' }))).toBe(
      'missing_attribute',
    )
  })

  it('refuses what the app would refuse, with the same reasons', () => {
    expect(reason(() => checkPatch(schema, 'document', { pages: 'ten' }))).toBe('wrong_value')
    expect(reason(() => checkPatch(schema, 'document', { colour: 'red' }))).toBe(
      'unknown_attribute',
    )
    expect(reason(() => checkPatch(schema, 'poem', { title: 'x' }))).toBe('unknown_type')
  })

  it('keeps the compound indexes and the references', () => {
    expect(schema.indexes('document')).toEqual([['author', 'title']])
    expect(schema.shape('document').shelf?.spec.target).toBe('shelf')
  })
})
