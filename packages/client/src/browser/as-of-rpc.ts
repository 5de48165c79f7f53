import { TidingsError } from '@tidings/protocol'
import { boundOf } from '../history/bound.js'

/** The `asOf` of a client that answers `get`/`fetch` views (the owner's, seen untyped). */
export interface AsOfSource {
  asOf(at: string | number): {
    get(type: string, id: string): Promise<unknown>
    fetch(type: string, query?: unknown): Promise<unknown>
  }
}

/**
 * The browser client's `asOf(at)` view: `at` is turned into its bound here (an invalid one
 * throws `bad_request` at once, as in Node), and each `get`/`fetch` is one `asOf` call to the
 * client that owns the database, sent with the HLC or the epoch ms (a `Date`'s bound is no
 * HLC the owner would take). `truncatedBefore` is fixed when the view is made, as in Node, from the greatest
 * horizon the owner last reported to this page (see the `observe-horizon` stream).
 */
export class AsOfOverRpc {
  readonly at: string
  readonly truncatedBefore?: string
  /** What the owner is sent as the bound. */
  readonly #sent: string | number

  constructor(
    at: string | Date | number,
    horizon: string | undefined,
    private readonly call: (args: unknown[]) => Promise<unknown>,
  ) {
    this.at = boundOf(at)
    this.#sent = at instanceof Date ? at.getTime() : at
    if (horizon !== undefined && this.at < horizon) this.truncatedBefore = horizon
  }

  get(type: string, id: string): Promise<unknown> {
    return this.call([this.#sent, 'get', type, id])
  }

  fetch(type: string, query?: unknown): Promise<unknown> {
    return this.call(
      query === undefined ? [this.#sent, 'fetch', type] : [this.#sent, 'fetch', type, query],
    )
  }
}

/**
 * The owner's end of an `asOf` call: `[at, 'get', type, id]` or `[at, 'fetch', type, query?]`
 * (`at` an HLC or epoch ms), checked here (the page is another program as far as the worker knows) before the
 * owner's own view answers it.
 */
export async function answerAsOf(client: AsOfSource, args: readonly unknown[]): Promise<unknown> {
  const [at, read, type, second] = args
  if (typeof at !== 'string' && typeof at !== 'number')
    throw bad('asOf: the bound must be an HLC or epoch ms')
  if (typeof type !== 'string') throw bad('asOf: the type must be a string')
  const view = client.asOf(at)
  switch (read) {
    case 'get':
      if (typeof second !== 'string') throw bad('asOf(...).get: the id must be a string')
      return await view.get(type, second)
    case 'fetch':
      if (second !== undefined && (typeof second !== 'object' || second === null))
        throw bad('asOf(...).fetch: the query must be an object')
      return await view.fetch(type, second)
    default:
      throw bad(`asOf: unknown read ${JSON.stringify(String(read))}; expected get or fetch`)
  }
}

const bad = (message: string) => new TidingsError('bad_request', message)
