import { isTidingsError } from '@tidings/protocol'
import { parseTrustProxy, type TrustProxy } from '../http/trust-proxy.js'

export const TRUST_PROXY_USAGE = `--trust-proxy true|false|ADDRESSES (or TIDINGS_TRUST_PROXY): behind a reverse proxy, the
     proxies' addresses or CIDR ranges (10.0.0.0/8,loopback) whose X-Forwarded-For names the
     client (default false: the socket's address; true trusts any peer, so only when nothing
     but the proxy can reach the server). Limits of requests without a valid token go per client.`

/**
 * `serve`'s `--trust-proxy` (else `TIDINGS_TRUST_PROXY`): undefined keeps the default (trust no
 * one). A bad value becomes the CLI's usage error (`usage`), not a server error.
 */
export const trustProxyFromFlag = (
  flag: string | boolean | undefined,
  env: Record<string, string | undefined>,
  usage: (message: string) => Error,
): TrustProxy | undefined => {
  const text = typeof flag === 'string' ? flag : env.TIDINGS_TRUST_PROXY
  if (text === undefined) return undefined
  try {
    return parseTrustProxy(text)
  } catch (error) {
    throw isTidingsError(error) ? usage(`--trust-proxy: ${error.message}`) : error
  }
}
