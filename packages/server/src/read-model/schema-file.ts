import { readFile } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * The app's schema as the read model needs it (`tidings serve --schema FILE`): its types, each
 * attribute's kind, whether it is indexed, which type a reference names and the names it had
 * before (`renamedFrom`), and the compound indexes. The server never imports `@tidings/client`
 * (the layers stay apart), so the schema is read by shape:
 *
 * - a JSON file: `JSON.stringify(schema)` of the app's `defineSchema(...)` result (each attribute
 *   as `{kind, spec}`), with the compound indexes added as `indexes: {type: [[attr, …]]}` since
 *   the schema keeps those behind a function;
 * - a JS module (`.js`, `.mjs`; `.ts` only when the server runs under a TypeScript loader)
 *   exporting the `defineSchema(...)` result as `schema` or as its default export.
 */

/** Attribute kinds, as `t.string()` … `t.ref()` declare them. */
export const KINDS = ['string', 'number', 'boolean', 'date', 'json', 'ref'] as const
export type Kind = (typeof KINDS)[number]

export interface AttributeSpec {
  kind: Kind
  indexed: boolean
  /** `t.ref(target)`: the type it names. */
  target?: string
  /** Earlier names, newest first: the column shows the latest write under any of them. */
  renamedFrom: readonly string[]
  /** `.optional()`: a create may leave it out (the writes route checks creates by it). */
  optional: boolean
  /** `.default(value)`, as the JSON export holds it (a date as ISO text). */
  default?: { value: unknown }
}

export interface ReadModelSchema {
  version?: number
  types: Readonly<Record<string, Readonly<Record<string, AttributeSpec>>>>
  indexes: Readonly<Record<string, ReadonlyArray<readonly string[]>>>
}

/** A schema file that cannot be read or does not describe a schema; `path` says where. */
export class SchemaFileError extends Error {
  readonly code = 'bad_schema_file'
  constructor(
    readonly file: string,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${path ? ` at ${path}` : ''}: ${message}`, options)
    this.name = 'SchemaFileError'
  }
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,62}$/
const RESERVED = new Set(['id', 'deleted', 'space'])

/** Reads and checks a schema file (JSON, or a module exporting the schema). */
export const loadSchemaFile = async (file: string): Promise<ReadModelSchema> => {
  const path = resolve(file)
  const ext = extname(path)
  if (ext === '.json') {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      throw new SchemaFileError(file, '', `cannot read: ${(err as Error).message}`, { cause: err })
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw new SchemaFileError(file, '', `not JSON: ${(err as Error).message}`, { cause: err })
    }
    return parseSchema(parsed, file)
  }
  let module: Record<string, unknown>
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>
  } catch (err) {
    const hint =
      ext === '.ts' ? ' (a .ts module needs a TypeScript loader: export JSON instead)' : ''
    throw new SchemaFileError(file, '', `cannot import${hint}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  const exported = module.schema ?? module.default
  if (exported === undefined)
    throw new SchemaFileError(file, '', 'exports neither `schema` nor a default export')
  return parseSchema(fromDefined(exported), file)
}

/** A `defineSchema` result carries its compound indexes behind a function: read them out. */
const fromDefined = (schema: unknown): unknown => {
  if (!isObject(schema) || typeof schema.indexes !== 'function' || !isObject(schema.types))
    return schema
  const indexes = schema.indexes as (type: string) => unknown
  return {
    ...schema,
    indexes: Object.fromEntries(Object.keys(schema.types).map((type) => [type, indexes(type)])),
  }
}

/** Checks a parsed schema (see the file comment for its shape). */
export const parseSchema = (value: unknown, file = 'schema'): ReadModelSchema => {
  const fail = (path: string, message: string) => new SchemaFileError(file, path, message)
  if (!isObject(value)) throw fail('', 'not an object')
  const { version } = value
  if (
    version !== undefined &&
    version !== null &&
    !(Number.isSafeInteger(version) && (version as number) >= 1)
  )
    throw fail('version', 'must be a positive integer')
  if (!isObject(value.types)) throw fail('types', 'must be an object of types')
  const types: Record<string, Record<string, AttributeSpec>> = {}
  for (const [type, shape] of Object.entries(value.types)) {
    if (!IDENTIFIER.test(type)) throw fail(`types.${type}`, 'type name is not an identifier')
    if (!isObject(shape)) throw fail(`types.${type}`, 'must be an object of attributes')
    const attrs: Record<string, AttributeSpec> = {}
    for (const [name, attr] of Object.entries(shape)) {
      const at = `types.${type}.${name}`
      if (!IDENTIFIER.test(name)) throw fail(at, 'attribute name is not an identifier')
      if (RESERVED.has(name)) throw fail(at, `${name} is reserved`)
      if (!isObject(attr)) throw fail(at, 'must be an attribute ({kind, spec})')
      const spec = isObject(attr.spec) ? attr.spec : {}
      const kind = attr.kind
      if (!(KINDS as readonly unknown[]).includes(kind))
        throw fail(`${at}.kind`, `must be one of ${KINDS.join(', ')}`)
      const renamedFrom = spec.renamedFrom ?? []
      if (
        !Array.isArray(renamedFrom) ||
        !renamedFrom.every((n) => typeof n === 'string' && IDENTIFIER.test(n))
      )
        throw fail(`${at}.spec.renamedFrom`, 'must be a list of attribute names')
      const target = spec.target
      if (kind === 'ref' && typeof target !== 'string')
        throw fail(`${at}.spec.target`, 'a ref must name its target type')
      attrs[name] = {
        kind: kind as Kind,
        indexed: spec.indexed === true || kind === 'ref',
        ...(typeof target === 'string' && { target }),
        renamedFrom: renamedFrom as string[],
        optional: spec.optional === true,
        ...(spec.hasDefault === true && { default: { value: spec.defaultValue } }),
      }
    }
    types[type] = attrs
  }
  for (const [type, attrs] of Object.entries(types))
    for (const [name, attr] of Object.entries(attrs))
      if (attr.target !== undefined && !Object.hasOwn(types, attr.target))
        throw fail(
          `types.${type}.${name}.spec.target`,
          `unknown type ${JSON.stringify(attr.target)}`,
        )
  const indexes: Record<string, string[][]> = {}
  if (value.indexes !== undefined) {
    if (!isObject(value.indexes)) throw fail('indexes', 'must be an object of index lists')
    for (const [type, lists] of Object.entries(value.indexes)) {
      const attrs = types[type]
      if (!attrs) throw fail(`indexes.${type}`, 'names an unknown type')
      if (!Array.isArray(lists)) throw fail(`indexes.${type}`, 'must be a list of attribute lists')
      indexes[type] = lists.map((list, i) => {
        if (!Array.isArray(list) || list.length === 0)
          throw fail(`indexes.${type}.${i}`, 'must be a non-empty list of attribute names')
        for (const name of list)
          if (typeof name !== 'string' || !Object.hasOwn(attrs, name))
            throw fail(`indexes.${type}.${i}`, `names unknown attribute ${JSON.stringify(name)}`)
        return list as string[]
      })
    }
  }
  return {
    ...(typeof version === 'number' && { version }),
    types,
    indexes,
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
