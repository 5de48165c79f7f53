import { type AuthReason, isTidingsError, TidingsError } from '@tidings/protocol'

/** A bearer token, or a function the app gives to fetch a fresh one from its identity provider. */
export type TokenOption = string | (() => Promise<string>)

/** The `details.reason` of a 401 whose token has expired: a fresh one will do. */
const TOKEN_EXPIRED: AuthReason = 'token_expired'

/** Whether an error is the server's refusal of an expired token. */
export const isTokenExpired = (error: unknown): boolean =>
  isTidingsError(error, 'unauthorized') &&
  (error.details as { reason?: unknown } | undefined)?.reason === TOKEN_EXPIRED

/**
 * The token every request and live stream of one client sends. A fixed string is sent as is. A
 * function is called at the first request, and again when the server refuses the token as
 * expired or a live stream reconnects; a refresh in flight is shared, so requests failing
 * together cause one call, never a stampede on the identity provider.
 */
export class TokenSource {
  readonly #option: TokenOption
  #current: string | undefined
  #refreshing: Promise<string> | null = null

  constructor(option: TokenOption) {
    this.#option = option
    if (typeof option === 'string') this.#current = option
  }

  /** Whether `refresh` can give another token than the one in use. */
  get refreshable(): boolean {
    return typeof this.#option === 'function'
  }

  /** The token in use when one was fetched, without calling anything (to keep it out of logs). */
  get current(): string | undefined {
    return this.#current
  }

  /** The token in use; the first call of a token function fetches it. */
  get(): Promise<string> {
    if (this.#current !== undefined) return Promise.resolve(this.#current)
    return this.refresh(undefined)
  }

  /**
   * A token other than `stale`: when another caller has already replaced it, the new one; when
   * a refresh is in flight, that one; else one new call of the token function.
   */
  refresh(stale: string | undefined): Promise<string> {
    const option = this.#option
    if (typeof option === 'string') return Promise.resolve(option)
    if (this.#current !== undefined && this.#current !== stale)
      return Promise.resolve(this.#current)
    if (this.#refreshing) return this.#refreshing
    const call = (async () => {
      try {
        const token = await option()
        if (typeof token !== 'string' || token === '')
          throw new TidingsError('unauthorized', 'server.token() gave no token: sign in again')
        this.#current = token
        return token
      } catch (cause) {
        if (isTidingsError(cause)) throw cause
        // The provider may be unreachable (offline): worth retrying later, not a sign-in.
        throw new TidingsError(
          'unavailable',
          `server.token() failed: ${(cause as Error)?.message ?? cause}`,
          { cause },
        )
      } finally {
        this.#refreshing = null
      }
    })()
    this.#refreshing = call
    return call
  }
}

const shared = new WeakMap<object, TokenSource>()

/**
 * The one token source of a client's server options, shared by its requests and its live
 * stream, so a refresh by either serves both. Keyed by the options object, never a global token.
 */
export const tokenSourceOf = (server: { token: TokenOption }): TokenSource => {
  let source = shared.get(server)
  if (!source) {
    source = new TokenSource(server.token)
    shared.set(server, source)
  }
  return source
}
