import { createHash } from 'node:crypto'
import type { Event, PartedBundle } from '@tidings/protocol'

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

/**
 * A bundle's identity: its client, HLC, the hashes of its events in order and, for a part of a
 * bigger transaction, its part (the same id sent as another part, or as a whole, is a conflict).
 * A whole bundle hashes as it always did, so hashes stored before parts existed stay valid; so
 * does a private one (no `space`): a bundle of a shared space hashes its space too, so the same
 * id in another space is a conflict (DESIGN §8).
 */
export const bundleHash = (bundle: PartedBundle, eventHashes: readonly string[]): string => {
  const { part, space } = bundle
  const marker = part ? `\n${part.group}:${part.index}/${part.count}` : ''
  const home = space === undefined ? '' : `\nspace:${space}`
  return sha256(`${bundle.client}\n${bundle.hlc}\n${eventHashes.join(',')}${marker}${home}`)
}
