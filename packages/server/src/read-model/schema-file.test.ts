import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadSchemaFile, SchemaFileError } from './schema-file.js'

/** `tidings serve --schema FILE`: the app's schema as JSON or as a module, checked with clear errors. */
describe('schema files', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidings-schema-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const attr = (kind: string, spec: Record<string, unknown> = {}) => ({
    kind,
    spec: { optional: false, indexed: false, hasDefault: false, ...spec },
  })
  /** What `JSON.stringify(defineSchema(...))` writes, plus the compound indexes. */
  const exported = {
    types: {
      document: {
        title: attr('string'),
        author: attr('string', { indexed: true }),
        shelf: attr('ref', { indexed: true, target: 'shelf' }),
        name: attr('string', { renamedFrom: ['label'] }),
      },
      shelf: { name: attr('string') },
    },
    version: 2,
    indexes: { document: [['author', 'title']] },
  }

  const file = async (name: string, text: string) => {
    const path = join(dir, name)
    await writeFile(path, text)
    return path
  }

  it('reads a JSON export of the schema', async () => {
    const schema = await loadSchemaFile(await file('schema.json', JSON.stringify(exported)))
    expect(schema.version).toBe(2)
    expect(schema.types.document?.author).toEqual({
      kind: 'string',
      indexed: true,
      renamedFrom: [],
      optional: false,
    })
    expect(schema.types.document?.shelf).toMatchObject({
      kind: 'ref',
      target: 'shelf',
      indexed: true,
    })
    expect(schema.types.document?.name?.renamedFrom).toEqual(['label'])
    expect(schema.indexes).toEqual({ document: [['author', 'title']] })
  })

  it('reads a module exporting the defineSchema result, its indexes behind a function', async () => {
    const { indexes, ...rest } = exported
    const path = await file(
      'schema.mjs',
      `const indexes = ${JSON.stringify(indexes)}
export const schema = { ...${JSON.stringify(rest)}, indexes: (type) => indexes[type] ?? [] }`,
    )
    const schema = await loadSchemaFile(path)
    expect(schema.indexes).toEqual({ document: [['author', 'title']], shelf: [] })
  })

  const refusal = async (name: string, content: string): Promise<SchemaFileError> => {
    const err = await loadSchemaFile(await file(name, content)).then(
      () => null,
      (e: unknown) => e,
    )
    if (!(err instanceof SchemaFileError))
      throw new Error(`expected a SchemaFileError, got ${String(err)}`)
    expect(err.code).toBe('bad_schema_file')
    return err
  }

  it('refuses what is not a schema, saying where', async () => {
    expect((await refusal('a.json', '{')).message).toMatch(/not JSON/)
    const kind = { types: { document: { title: { kind: 'text' } } } }
    expect((await refusal('b.json', JSON.stringify(kind))).path).toBe('types.document.title.kind')
    const reserved = { types: { document: { deleted: attr('boolean') } } }
    expect((await refusal('c.json', JSON.stringify(reserved))).message).toMatch(/reserved/)
    const target = { types: { document: { shelf: attr('ref', { target: 'nowhere' }) } } }
    expect((await refusal('d.json', JSON.stringify(target))).message).toMatch(
      /unknown type "nowhere"/,
    )
    const index = {
      types: { document: { title: attr('string') } },
      indexes: { document: [['nope']] },
    }
    expect((await refusal('e.json', JSON.stringify(index))).path).toBe('indexes.document.0')
    expect((await refusal('f.mjs', 'export const other = 1')).message).toMatch(/exports neither/)
    const missing = await loadSchemaFile(join(dir, 'missing.json')).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(SchemaFileError)
  })
})
