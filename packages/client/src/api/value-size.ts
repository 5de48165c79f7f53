import { jsonBytes, TidingsError } from '@tidings/protocol'

/**
 * Refuses a value the server would refuse (`maxValueBytes` of JSON text, DESIGN.md §7) at the
 * write that makes it, before anything is stored: found only at sync, it would sink the whole
 * transaction that carries it, on a device that has long moved on. Checked per attribute write,
 * so it costs nothing measurable for the usual value: numbers, booleans and null are small, and
 * a string whose every character could take 6 bytes of JSON (`\u0000`) and still fit is not
 * measured.
 */
export const assertValueFits = (
  type: string,
  attribute: string,
  value: unknown,
  limit: number,
): void => {
  if (typeof value === 'string') {
    if (value.length * 6 + 2 <= limit) return
  } else if (limit >= SMALL_VALUE_BYTES && (typeof value !== 'object' || value === null)) return
  const bytes = jsonBytes(value)
  if (bytes > limit)
    throw new TidingsError(
      'too_large',
      `${type}.${attribute} is ${bytes} bytes as JSON, over the ${limit} bytes a value may take; store it elsewhere (a file, a blob store) and keep a reference here`,
      { details: { type, attribute, bytes, limit } },
    )
}

/** No number, boolean or null takes more bytes of JSON than this (`-1.2345678901234567e-308`). */
const SMALL_VALUE_BYTES = 32
