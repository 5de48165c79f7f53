import { isIP } from 'node:net'
import { TidingsError } from '@tidings/protocol'

/**
 * Which peers may tell the server a request's real client address (`X-Forwarded-For`):
 * `false` none (the default: the socket's address is the client's), `true` any peer, or the
 * addresses and CIDR ranges of the reverse proxies in front of the server. Rate limits of
 * requests without a valid token count per client address, so behind a proxy that is not
 * trusted every client shares the proxy's address and its limit.
 */
export type TrustProxy = boolean | readonly string[]

/** Names proxy-addr (Fastify's trust-proxy engine) understands besides addresses and ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])

const isAddressOrRange = (entry: string): boolean => {
  if (NAMED_RANGES.has(entry)) return true
  const slash = entry.indexOf('/')
  if (slash === -1) return isIP(entry) !== 0
  const address = entry.slice(0, slash)
  const bits = entry.slice(slash + 1)
  const family = isIP(address)
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false
  return Number(bits) <= (family === 4 ? 32 : 128)
}

/**
 * Reads `--trust-proxy`: `true`, `false`, or a comma-separated list of proxy addresses, CIDR
 * ranges and the names `loopback`, `linklocal`, `uniquelocal`. Hop counts are refused: Fastify
 * cannot check the nearest peer against them, so it trusts no one for a count (fail closed),
 * and a setting that silently does nothing is worse than an error. Throws `bad_request`.
 */
export const parseTrustProxy = (text: string): TrustProxy => {
  const value = text.trim()
  if (value === 'true') return true
  if (value === 'false') return false
  const entries = value.split(',').map((entry) => entry.trim())
  const bad = entries.find((entry) => !isAddressOrRange(entry))
  if (bad !== undefined)
    throw new TidingsError(
      'bad_request',
      `trust proxy ${JSON.stringify(bad)} is not true, false, an IP address, a CIDR range (10.0.0.0/8) or loopback, linklocal, uniquelocal`,
    )
  return entries
}

/** The value Fastify's `trustProxy` option takes. */
export const fastifyTrustProxy = (trust: TrustProxy): boolean | string[] =>
  typeof trust === 'boolean' ? trust : [...trust]
