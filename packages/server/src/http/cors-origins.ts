import { TidingsError } from '@tidings/protocol'

/**
 * The origins whose pages may call the API from a browser (CORS): `*` for any (development), or
 * exact origins such as `https://app.example.com`. The usual deployment serves the app from a
 * CDN and the sync server from an API host: without this, the browser refuses every request.
 */
export type CorsOrigins = '*' | readonly string[]

/** Reads `*` or a comma-separated list of origins; anything else is a `bad_request`. */
export const parseCorsOrigins = (text: string): CorsOrigins => {
  const trimmed = text.trim()
  if (trimmed === '*') return '*'
  const origins = trimmed
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '')
  if (origins.length === 0) throw new TidingsError('bad_request', 'give `*` or at least one origin')
  for (const origin of origins) {
    let parsed: URL | null = null
    try {
      parsed = new URL(origin)
    } catch {}
    // An origin is scheme, host and port only: `https://app.example.com/` or a path never
    // matches what a browser sends, so it would fail silently.
    if (!parsed || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol))
      throw new TidingsError(
        'bad_request',
        `${JSON.stringify(origin)} is not an origin like https://app.example.com (no path, no trailing slash)`,
      )
  }
  return origins
}
