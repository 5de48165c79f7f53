/**
 * Builders of valid wire data for the wire tests, and a way to see how `parseWire` refused.
 * Not exported from the package.
 */
import { isTidingsError } from '../errors.js'
import { formatHlc, type Hlc } from '../hlc.js'
import { newId } from '../ids.js'

export const CLIENT = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'
export const T = Date.UTC(2026, 10, 26, 4, 46, 2, 123)

export const hlcAt = (counter: number, client = CLIENT, ms = T): Hlc =>
  formatHlc({ ms, counter, node: client })

/** A valid event; `overrides` may set any field to anything, `undefined` removes it. */
export const makeEvent = (overrides: Record<string, unknown> = {}, counter = 0) =>
  withOverrides(
    {
      id: newId(),
      type: 'document',
      entity: newId(),
      attribute: 'title',
      value: 'Dune' as unknown,
      hlc: hlcAt(counter),
      client: CLIENT,
    },
    overrides,
  )

/** A valid bundle of `count` events from CLIENT, its hlc the greatest event hlc. */
export const makeBundle = (overrides: Record<string, unknown> = {}, count = 1) => {
  const events = Array.from({ length: count }, (_, i) => makeEvent({}, i))
  return withOverrides(
    { id: newId(), client: CLIENT, hlc: hlcAt(count - 1), events: events as unknown[] },
    overrides,
  )
}

/** How a call refused: its code, status and the paths its details name; rethrows anything else. */
export const refusal = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    if (!isTidingsError(error)) throw error
    const details = error.details as Array<{ path: string; message: string }>
    return { code: error.code, status: error.status, paths: details.map((d) => d.path) }
  }
  throw new Error('expected a TidingsError, but the call succeeded')
}

const withOverrides = <T extends Record<string, unknown>>(
  base: T,
  overrides: Record<string, unknown>,
) => {
  const out: Record<string, unknown> = { ...base, ...overrides }
  for (const key of Object.keys(overrides)) if (overrides[key] === undefined) delete out[key]
  return out as T
}

/** The code of the TidingsError `fn` throws, or 'no error'; anything else is rethrown. */
export const codeOf = (fn: () => unknown): string => {
  try {
    fn()
  } catch (error) {
    if (isTidingsError(error)) return error.code
    throw error
  }
  return 'no error'
}
