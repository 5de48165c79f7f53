import type { JsonValue } from '@tidings/protocol'
import type { AnyAttr } from '../schema/attr.js'
import { fromColumn, toColumn } from '../schema/codec.js'
import { readAs, UNREADABLE } from '../schema/convert.js'
import type { Schema } from '../schema/define.js'
import { renamesOf } from '../store/renames.js'

/**
 * Reads logged values as the typed API does with this app's schema: through the attribute's
 * kind and declared conversions (`readAs`), then the column codec (`Date`s, booleans, parsed
 * JSON). An earlier name of a renamed attribute reads as the attribute it became.
 */
export class ValueReader {
  private readonly renames: Map<string, Map<string, string>>

  constructor(private readonly schema: Schema) {
    this.renames = renamesOf(schema)
  }

  /** The attribute a logged name stands for now (itself unless it was renamed). */
  current(type: string, attribute: string): string {
    return this.renames.get(type)?.get(attribute) ?? attribute
  }

  /** The value as the app reads it; the raw value when the schema cannot read it. */
  read(type: string, attribute: string, raw: JsonValue): unknown {
    if (attribute === 'deleted') return raw === true
    const attr = this.schema.shape(type)[this.current(type, attribute)] as AnyAttr | undefined
    if (!attr) return raw
    const read = readAs(attr, raw)
    if (read === UNREADABLE) return raw
    if (read === null) return null
    return fromColumn(attr.kind, toColumn(attr.kind, read)) ?? raw
  }
}
