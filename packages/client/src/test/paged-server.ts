import { type Bundle, formatHlc, ROUTES } from '@tidings/protocol'

/**
 * A server answering `POST /v1/sync` with `bundles` one per page (cursor = bundles sent so
 * far), as a client's `fetch`; `cursors` records each request's cursor. Anything else is 404.
 */
export const pagedServer = (
  bundles: readonly Bundle[],
): { fetch: typeof globalThis.fetch; cursors: Array<string | null> } => {
  const cursors: Array<string | null> = []
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (!String(input).endsWith(ROUTES.sync)) return new Response('{}', { status: 404 })
    const { cursor } = JSON.parse(String(init?.body)) as { cursor: string | null }
    cursors.push(cursor)
    const at = cursor ? Number(cursor) : 0
    const body = {
      hlc: formatHlc({ ms: Date.now(), counter: 0, node: 'server' }),
      cursor: String(Math.min(at + 1, bundles.length)),
      accepted: [],
      bundles: bundles.slice(at, at + 1),
      more: at + 1 < bundles.length,
    }
    return new Response(JSON.stringify(body), { status: 200 })
  }
  return { fetch, cursors }
}
