import { createHash } from 'node:crypto'
import type { Bundle, Event } from '@tidings/protocol'

/** JSON text with object keys sorted, so equal content always hashes equally. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64url')

export const eventHash = (event: Event): string => sha256(canonicalJson(event))

/** A bundle's identity: its client, HLC and the hashes of its events in order. */
export const bundleHash = (bundle: Bundle, eventHashes: readonly string[]): string =>
  sha256(`${bundle.client}\n${bundle.hlc}\n${eventHashes.join(',')}`)
