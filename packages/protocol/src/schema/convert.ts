import type { JsonValue } from '../json.js'
import type { AnyAttr, Kind } from './attr.js'
import { encodeValue } from './encode.js'

/** What `readAs` answers for a value this app version cannot read (nor convert). */
export const UNREADABLE: unique symbol = Symbol('unreadable')

/**
 * The value of `attr` that a register value reads as, in event form (JSON; dates as ISO text):
 * the value itself when it is of the attribute's kind, else the result of the first declared
 * conversion (`from`) whose kind it has, else `UNREADABLE`. `null` (a cleared attribute) reads
 * as `null`. Pure, so every device of one app version projects the log the same way.
 */
export const readAs = (attr: AnyAttr, value: JsonValue): JsonValue | typeof UNREADABLE => {
  if (value === null) return null
  if (isOfKind(attr.kind, value)) return value
  for (const { from, convert } of attr.spec.conversions ?? []) {
    if (!isOfKind(from, value)) continue
    let converted: unknown
    try {
      converted = (convert as (v: unknown) => unknown)(asApp(from, value))
    } catch {
      return UNREADABLE
    }
    if (converted === undefined || converted === null) return UNREADABLE
    try {
      return encodeValue('conversion', attr, converted)
    } catch {
      return UNREADABLE
    }
  }
  return UNREADABLE
}

/** Whether an event value is a value of `kind` as that kind writes it. */
const isOfKind = (kind: Kind, value: JsonValue): boolean => {
  switch (kind) {
    case 'string':
    case 'ref':
      return typeof value === 'string'
    case 'date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value))
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'boolean':
      return typeof value === 'boolean'
    case 'json':
      return true
  }
}

/** An event value of `kind` as the app sees it (a conversion's argument). */
const asApp = (kind: Kind, value: JsonValue): unknown =>
  kind === 'date' ? new Date(value as string) : value
