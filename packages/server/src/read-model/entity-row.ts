import { type JsonValue, wins } from '@tidings/protocol'
import type { AttributeSpec } from './schema-file.js'

/** One register's winning write, as the registers table holds it (value parsed). */
export interface Register {
  attribute: string
  value: JsonValue
  hlc: string
  event: string
}

/** An entity's row in `read_model_entities`, computed from all of its registers. */
export interface EntityRow {
  /** Every attribute with a non-null value (null clears), `deleted` aside; keys sorted. */
  data: Record<string, JsonValue>
  /** The tombstone register holds `true` (anything else, or none, is alive), as on clients. */
  deleted: boolean
  /** The greatest HLC among the entity's registers: when it last changed. */
  hlc: string
}

export const entityRow = (registers: readonly Register[]): EntityRow => {
  const data: Record<string, JsonValue> = {}
  let deleted = false
  let hlc = ''
  const sorted = [...registers].sort((a, b) => (a.attribute < b.attribute ? -1 : 1))
  for (const r of sorted) {
    if (r.hlc > hlc) hlc = r.hlc
    if (r.attribute === 'deleted') deleted = r.value === true
    else if (r.value !== null) data[r.attribute] = r.value
  }
  return { data, deleted, hlc }
}

/**
 * The value of a declared attribute's column: the latest write under its name or any earlier
 * one (`renamedFrom`), as clients read a renamed attribute; null when absent, cleared, or of
 * another kind than declared (another app version's value: clients read it as absent unless a
 * conversion, which is code and cannot travel in a schema file, says otherwise).
 */
export const typedCell = (
  name: string,
  spec: AttributeSpec,
  byAttribute: ReadonlyMap<string, Register>,
): unknown => {
  let winner: Register | undefined
  for (const n of [name, ...spec.renamedFrom]) {
    const r = byAttribute.get(n)
    if (r && wins({ hlc: r.hlc, id: r.event }, winner && { hlc: winner.hlc, id: winner.event }))
      winner = r
  }
  return winner === undefined ? null : cellOf(spec, winner.value)
}

/**
 * Text a SQL text column cannot hold as written: NUL (Postgres refuses it) and lone UTF-16
 * surrogates (no UTF-8 form). Such a string reads as NULL in its typed column on every backend
 * alike; `data` and the registers keep it, escaped.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is looked for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** A date as clients write it (`toISOString()`): a form every backend reads the same way. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/

const cellOf = (spec: AttributeSpec, value: JsonValue): unknown => {
  if (value === null) return null
  switch (spec.kind) {
    case 'string':
    case 'ref':
      return typeof value === 'string' && !UNSTORABLE.test(value) ? value : null
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : null
    case 'boolean':
      return typeof value === 'boolean' ? value : null
    case 'date':
      return typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value))
        ? value
        : null
    case 'json':
      return JSON.stringify(value)
  }
}
