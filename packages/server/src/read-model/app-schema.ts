import { type AnyAttr, Attr, defineSchema, type Schema } from '@tidings/protocol'
import type { AttributeSpec, ReadModelSchema } from './schema-file.js'

/**
 * The app's schema as the writes route checks writes by it (`AppDeps.schema`), rebuilt from
 * the `--schema FILE` the read model reads: one file gives the server both. Conversions are
 * code and a JSON file cannot carry them; writes are checked against the current kinds only,
 * which is all the route needs.
 */
export const appSchemaOf = (file: ReadModelSchema): Schema => {
  const types = Object.fromEntries(
    Object.entries(file.types).map(([type, attrs]) => [
      type,
      Object.fromEntries(Object.entries(attrs).map(([name, spec]) => [name, attrOf(spec)])),
    ]),
  )
  return defineSchema(types, {
    indexes: file.indexes as never,
    ...(file.version !== undefined && { version: file.version }),
  })
}

const attrOf = (spec: AttributeSpec): AnyAttr => {
  const value = spec.default?.value
  return new Attr(spec.kind, {
    optional: spec.optional,
    indexed: spec.indexed,
    hasDefault: spec.default !== undefined,
    ...(spec.default !== undefined && {
      defaultValue: spec.kind === 'date' && typeof value === 'string' ? new Date(value) : value,
    }),
    ...(spec.target !== undefined && { target: spec.target }),
    ...(spec.renamedFrom.length > 0 && { renamedFrom: spec.renamedFrom }),
  }) as AnyAttr
}
