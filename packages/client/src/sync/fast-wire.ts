import { type Bundle, isHlc, jsonProblem, MAX_VALUE_DEPTH, UUID_PATTERN } from '@tidings/protocol'

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/
const ENTITY = /^[\x21-\x7e]+$/
const HEX4 = /^[0-9A-F]{4}$/

/**
 * A fast acceptance test for the bundles of a pulled page: the same rules as the protocol's
 * stored-bundle schema (strict objects, UUIDs, identifiers, HLCs issued by the event's client,
 * unique event ids, bundle HLC = greatest event HLC, storable JSON values), checked in plain
 * JavaScript with the date part of each HLC parsed once per millisecond instead of per event.
 * It only ever says yes to what the schema accepts; anything else (true or false alarm) goes
 * through the schema, which then produces the exact error. Zod costs about as much as applying
 * the page to SQLite, so pulls of a large history spend half their time here otherwise.
 */
export class FastWire {
  /** Date parts (first 24 characters) of HLCs already proven valid. */
  private readonly dates = new Set<string>()
  private readonly names = new Set<string>()

  bundles(value: unknown): value is Bundle[] {
    if (!Array.isArray(value)) return false
    for (const bundle of value) if (!this.bundle(bundle)) return false
    return true
  }

  private bundle(b: unknown): boolean {
    if (!plain(b) || keyCount(b) !== 4) return false
    const { id, client, hlc, events } = b as Record<string, unknown>
    if (!uuid(id) || !uuid(client) || typeof hlc !== 'string' || !this.hlc(hlc, null)) return false
    if (!Array.isArray(events) || events.length === 0) return false
    const ids = new Set<string>()
    let latest = ''
    for (const e of events) {
      if (!this.event(e, client)) return false
      const event = e as Bundle['events'][number]
      if (ids.has(event.id)) return false
      ids.add(event.id)
      if (event.hlc > latest) latest = event.hlc
    }
    return hlc === latest
  }

  /** An event of a bundle whose (valid) client is `client`; the event's client must equal it. */
  private event(e: unknown, client: string): boolean {
    if (!plain(e) || keyCount(e) !== 7) return false
    const { id, type, entity, attribute, value, hlc } = e as Record<string, unknown>
    if ((e as Record<string, unknown>).client !== client || !uuid(id)) return false
    if (!this.name(type) || !this.name(attribute)) return false
    if (typeof entity !== 'string' || entity.length > 128 || !ENTITY.test(entity)) return false
    if (typeof hlc !== 'string' || !this.hlc(hlc, client)) return false
    return storable(value)
  }

  private name(value: unknown): boolean {
    if (typeof value !== 'string') return false
    if (this.names.has(value)) return true
    if (value.length > 64 || !NAME.test(value)) return false
    this.names.add(value)
    return true
  }

  /**
   * A canonical HLC (issued by `node` when given). The text form is fixed-width up to the node:
   * 24 characters of date, `-`, 4 hex digits, `-`, node.
   */
  private hlc(text: string, node: string | null): boolean {
    if (text.length > 120) return false
    if (node !== null && (text.length !== 30 + node.length || !text.endsWith(node))) return false
    const date = text.slice(0, 24)
    if (this.dates.has(date))
      return (
        text[24] === '-' &&
        text[29] === '-' &&
        HEX4.test(text.slice(25, 29)) &&
        (node !== null || isHlc(text))
      )
    if (!isHlc(text)) return false
    if (this.dates.size > 10_000) this.dates.clear()
    this.dates.add(date)
    return true
  }
}

const plain = (v: unknown): v is object =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype

const keyCount = (o: object): number => {
  let n = 0
  for (const _ in o) n++
  return n
}

const uuid = (v: unknown): v is string =>
  typeof v === 'string' && v.length <= 36 && UUID_PATTERN.test(v)

const storable = (v: unknown): boolean => {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true
  if (typeof v === 'number') return Number.isFinite(v)
  return v !== undefined && jsonProblem(v, MAX_VALUE_DEPTH) === null
}
