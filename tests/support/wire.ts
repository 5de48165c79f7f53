import { AUTH_HEADER, BEARER, type Bundle, ROUTES } from '@tidings/protocol'

/** One raw answer: status and parsed JSON (or the text when it is not JSON). */
export interface Answer {
  status: number
  body: unknown
  text: string
}

/** A plain HTTP call to the server, no client library in between. */
export const call = async (
  base: string,
  route: string,
  init: {
    method?: string
    token?: string
    json?: unknown
    body?: string | Uint8Array
    headers?: Record<string, string>
  } = {},
): Promise<Answer> => {
  const headers: Record<string, string> = { ...init.headers }
  if (init.token !== undefined) headers[AUTH_HEADER] = `${BEARER}${init.token}`
  let body: string | Uint8Array | undefined = init.body
  if (init.json !== undefined) {
    body = JSON.stringify(init.json)
    headers['content-type'] ??= 'application/json'
  }
  const method = init.method ?? (body === undefined ? 'GET' : 'POST')
  const res = await fetch(
    `${base}${route}`,
    body === undefined ? { method, headers } : { method, headers, body },
  )
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, text }
}

const expectOk = (answer: Answer, what: string): Record<string, unknown> => {
  if (answer.status !== 200)
    throw new Error(`${what} answered ${answer.status}: ${answer.text.slice(0, 300)}`)
  return answer.body as Record<string, unknown>
}

/** Every bundle of the token's user, in stream order, read through `GET /v1/bundles` paging. */
export const pullAll = async (base: string, token: string): Promise<Bundle[]> => {
  const bundles: Bundle[] = []
  let after = ''
  for (let page = 0; page < 100_000; page++) {
    const query = new URLSearchParams({ after, limit: '500' })
    const body = expectOk(
      await call(base, `${ROUTES.bundles}?${query}`, { token }),
      'GET /v1/bundles',
    )
    bundles.push(...(body.bundles as Bundle[]))
    after = body.cursor as string
    if (!body.more) return bundles
  }
  throw new Error('GET /v1/bundles never finished paging')
}

/** The user's bundle ids, sorted (`GET /v1/bundle-ids`). */
export const bundleIds = async (base: string, token: string): Promise<string[]> => {
  const body = expectOk(await call(base, ROUTES.bundleIds, { token }), 'GET /v1/bundle-ids')
  return [...(body.ids as string[])].sort()
}
