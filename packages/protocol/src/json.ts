/** A JSON value as stored in an event. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue }

/**
 * Why `value` is not storable JSON within the limits, or null when it is. Iterative, so a
 * hostile 100,000-deep array cannot overflow the stack; rejects `__proto__` keys so a value
 * can never pollute a prototype when a peer spreads it.
 */
export const jsonProblem = (value: unknown, maxDepth: number): string | null => {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number]
    if (depth > maxDepth) return `nested deeper than ${maxDepth}`
    if (v === null || typeof v === 'boolean' || typeof v === 'string') continue
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'a number is not finite'
      continue
    }
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1])
      continue
    }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const key of Object.keys(v)) {
        if (key === '__proto__') return 'a key is "__proto__"'
        stack.push([(v as Record<string, unknown>)[key], depth + 1])
      }
      continue
    }
    return `${typeof v} is not JSON`
  }
  return null
}

/** UTF-8 byte length of the JSON text of a value. */
export const jsonBytes = (value: unknown): number => utf8Length(JSON.stringify(value) ?? '')

const utf8Length = (text: string): number => {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}
