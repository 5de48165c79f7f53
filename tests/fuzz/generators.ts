import { formatHlc, newId, ROUTES, routePath } from '@tidings/protocol'
import fc from 'fast-check'
import { EVIL_STRINGS, HUGE_NUMBERS, looseJson, validBundle, validSync } from './samples.js'

/** One request to throw at the server, described as data so a failure prints it. */
export interface FuzzRequest {
  label: string
  method: string
  path: string
  headers: Record<string, string>
  /** Raw body bytes as text (latin1 when `binary`), or none. */
  body?: string
  binary?: boolean
}

/** What a generator needs to know to aim at a real user (or not). */
export interface Target {
  token: string
  client: string
  /** The user's private space (its id), which `POST /v1/spaces/:space/writes` may write. */
  space?: string
}

const JSON_TYPE = 'application/json'

/** A random JSON-ish value: valid JSON, `fc.anything`, or evil scalars. */
const weirdValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3, withBigInt: true, withNullPrototype: true, withObjectString: true }),
  fc.constantFrom<unknown>(...EVIL_STRINGS),
  fc.constantFrom<unknown>(
    1e308,
    -1,
    0,
    -0,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 64,
    1.5,
    true,
    [],
    {},
  ),
)

/** Replaces, deletes or adds one field somewhere in a valid request: type confusion. */
const mutate = (
  base: unknown,
  paths: string[][],
  choice: { path: number; op: number; value: unknown },
): unknown => {
  const copy = structuredClone(base) as Record<string, unknown>
  const path = paths[choice.path % paths.length] as string[]
  let parent: Record<string, unknown> = copy
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>
  const last = path.at(-1) as string
  if (choice.op % 3 === 0) parent[last] = choice.value
  else if (choice.op % 3 === 1) delete parent[last]
  else parent[`extra${choice.op}`] = choice.value
  return copy
}

const SYNC_PATHS = [
  ['client'],
  ['hlc'],
  ['cursor'],
  ['bundles'],
  ['bundles', '0'],
  ['bundles', '0', 'id'],
  ['bundles', '0', 'client'],
  ['bundles', '0', 'hlc'],
  ['bundles', '0', 'events'],
  ['bundles', '0', 'events', '0'],
  ['bundles', '0', 'events', '0', 'id'],
  ['bundles', '0', 'events', '0', 'type'],
  ['bundles', '0', 'events', '0', 'entity'],
  ['bundles', '0', 'events', '0', 'attribute'],
  ['bundles', '0', 'events', '0', 'value'],
  ['bundles', '0', 'events', '0', 'hlc'],
  ['bundles', '0', 'events', '0', 'client'],
]

const deep = (depth: number, open: string, close: string) =>
  open.repeat(depth) + close.repeat(depth)

const authHeaders = (target: Target) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant({ authorization: `Bearer ${target.token}` }) },
    fc.constantFrom<Record<string, string>>(
      {},
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: `Basic ${target.token}` },
      { authorization: `bearer ${target.token}x` },
      { authorization: `Bearer ${'t'.repeat(8000)}` },
      { authorization: 'Bearer \u00ff\u00e9' },
    ),
  )

/** Bodies for the POST routes: the request shapes the server expects, broken every way. */
const postBody = (target: Target) =>
  fc.oneof(
    fc.record({ value: weirdValue, path: fc.nat(), op: fc.nat() }).map((c) => ({
      label: 'type confusion',
      body: looseJson(mutate(validSync(target.client), SYNC_PATHS, c)),
    })),
    fc.record({ value: weirdValue, path: fc.nat(), op: fc.nat() }).map((c) => ({
      label: 'get-bundles confusion',
      body: looseJson(mutate({ ids: [newId(), newId()] }, [['ids'], ['ids', '0']], c)),
    })),
    fc.jsonValue().map((v) => ({ label: 'random json', body: JSON.stringify(v) ?? 'null' })),
    weirdValue.map((v) => ({ label: 'anything', body: looseJson(v) })),
    fc.constantFrom(...HUGE_NUMBERS).map((n) => ({
      label: 'huge number',
      body: `{"client":"${target.client}","hlc":${n},"cursor":${n},"bundles":[]}`,
    })),
    fc
      .integer({ min: 1_000, max: 200_000 })
      .map((d) => ({ label: 'deep nesting', body: deep(d, '[', ']') })),
    fc.integer({ min: 65, max: 5_000 }).map((d) => {
      const sync = validSync(target.client)
      const text = JSON.stringify(sync).replace(
        '"value":"v"',
        `"value":${deep(d, '{"a":', '}').replace(/}$/, '1}')}`,
      )
      return { label: 'deep value', body: text }
    }),
    fc
      .constantFrom(
        '{"__proto__":{"polluted":true},"client":"x"}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        `{"client":"${target.client}","hlc":"x","cursor":null,"bundles":[],"__proto__":{"isAdmin":true}}`,
      )
      .map((body) => ({ label: '__proto__ keys', body })),
    fc.constantFrom(...EVIL_STRINGS).map((s) => {
      const sync = validSync(target.client)
      const b = sync.bundles[0] as ReturnType<typeof validBundle>
      ;(b.events[0] as { value: unknown }).value = s
      return { label: 'unicode value', body: JSON.stringify(sync) }
    }),
    fc.constantFrom(...EVIL_STRINGS).map((s) => ({
      label: 'unicode entity',
      body: JSON.stringify(validSync(target.client)).replace(
        /"entity":"[^"]+"/,
        `"entity":${JSON.stringify(s)}`,
      ),
    })),
    // A good bundle next to a refused one: the request must be refused whole (nothing partial).
    fc.constantFrom('event reused', 'future', 'hlc mismatch').map((kind) => {
      const sync = validSync(target.client)
      const good = sync.bundles[0] as ReturnType<typeof validBundle>
      // One reading of the clock: a tick between two readings made the "mismatch" match.
      const now = Date.now()
      const bad = validBundle(target.client, kind === 'future' ? now + 3_600_000 : now)
      if (kind === 'event reused')
        (bad.events[0] as { id: string }).id = (good.events[0] as { id: string }).id
      if (kind === 'hlc mismatch')
        bad.hlc = formatHlc({ ms: now - 1, counter: 0, node: target.client })
      return { label: `partial ${kind}`, body: JSON.stringify({ ...sync, bundles: [good, bad] }) }
    }),
    fc
      .constantFrom(
        '',
        ' ',
        'null',
        '{',
        '[',
        '"',
        '{"a":1}{',
        '\u0000',
        '\ufeff{}',
        '{"client":"\\ud800"}',
        '{"a":"\\u0000"}',
      )
      .map((body) => ({ label: 'tiny or broken', body })),
  )

/** Query strings for `GET /v1/bundles`: cursors and limits of every wrong shape. */
const pullQuery = fc.oneof(
  fc
    .record({
      after: fc.oneof(fc.string(), fc.constantFrom(...EVIL_STRINGS, ...HUGE_NUMBERS)),
      limit: fc.oneof(
        fc.string(),
        fc.constantFrom('0', '-1', '1.5', '1e3', 'NaN', ...HUGE_NUMBERS),
      ),
    })
    .map((q) => `?${new URLSearchParams(q)}`),
  fc.constantFrom(
    '?after=1&after=2',
    '?limit=1&limit=2',
    '?__proto__[x]=1',
    '?after[]=1',
    '?x=1',
    '?%zz',
    '?after=%00',
    '?limit=1001',
  ),
)

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/xml',
  '',
  'application/json ; charset=latin1',
]

const clip = (text: string, max = 300): string =>
  text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text

/** Makes fast-check print a request briefly: a counterexample can hold megabytes. */
const printable = (request: FuzzRequest): FuzzRequest =>
  Object.assign(request, {
    [fc.toStringMethod]: () =>
      JSON.stringify({
        ...request,
        path: clip(request.path),
        body: request.body === undefined ? undefined : clip(request.body),
      }),
  })

/** A valid body of `POST /v1/spaces/:space/writes` (the fuzz server has no app schema). */
const validWrites = () => ({
  writes: [
    { op: 'create', type: 'note', fields: { text: 'v', n: 1 } },
    { op: 'update', type: 'note', id: 'n-1', fields: { text: null } },
    { op: 'delete', type: 'note', id: 'n-2' },
  ],
})

const WRITES_PATHS = [
  ['writes'],
  ['writes', '0'],
  ['writes', '0', 'op'],
  ['writes', '0', 'type'],
  ['writes', '0', 'fields'],
  ['writes', '0', 'fields', 'text'],
  ['writes', '1', 'id'],
  ['writes', '2'],
]

/** The writes route, into the user's own space or one it is not in, with broken bodies. */
const writesRequests = (target: Target) =>
  fc
    .record({
      auth: authHeaders(target),
      space: fc.constantFrom(target.space ?? newId(), newId(), 'not-a-uuid'),
      body: fc.oneof(
        fc.constant({ label: 'valid', body: JSON.stringify(validWrites()) }),
        fc.record({ value: weirdValue, path: fc.nat(), op: fc.nat() }).map((c) => ({
          label: 'confusion',
          body: looseJson(mutate(validWrites(), WRITES_PATHS, c)),
        })),
        weirdValue.map((v) => ({ label: 'anything', body: looseJson(v) })),
      ),
    })
    .map(
      ({ auth, space, body }): FuzzRequest => ({
        label: `writes ${body.label}`,
        method: 'POST',
        path: routePath(ROUTES.writes, { space }),
        headers: { ...auth, 'content-type': JSON_TYPE },
        body: body.body,
      }),
    )

/** The arbitrary of all adversarial requests against `target`'s user. */
export const fuzzRequest = (target: Target): fc.Arbitrary<FuzzRequest> =>
  requests(target).map(printable)

const requests = (target: Target): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(
    { weight: 2, arbitrary: writesRequests(target) },
    {
      weight: 6,
      arbitrary: fc
        .record({
          auth: authHeaders(target),
          route: fc.constantFrom(ROUTES.sync, ROUTES.getBundles),
          body: postBody(target),
        })
        .map(
          ({ auth, route, body }): FuzzRequest => ({
            label: `${route} ${body.label}`,
            method: 'POST',
            path: route,
            headers: { ...auth, 'content-type': JSON_TYPE },
            body: body.body,
          }),
        ),
    },
    {
      weight: 2,
      arbitrary: fc.record({ auth: authHeaders(target), query: pullQuery }).map(
        ({ auth, query }): FuzzRequest => ({
          label: 'pull query',
          method: 'GET',
          path: `${ROUTES.bundles}${query}`,
          headers: auth,
        }),
      ),
    },
    fc
      .record({
        auth: authHeaders(target),
        type: fc.constantFrom(...CONTENT_TYPES),
        route: fc.constantFrom(ROUTES.sync, ROUTES.getBundles),
      })
      .map(({ auth, type, route }): FuzzRequest => {
        const headers: Record<string, string> = { ...auth }
        if (type) headers['content-type'] = type
        return {
          label: `wrong content type ${type}`,
          method: 'POST',
          path: route,
          headers,
          body: JSON.stringify(validSync(target.client)),
        }
      }),
    fc
      .record({
        auth: authHeaders(target),
        method: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST'),
        route: fc.constantFrom(
          ...Object.values(ROUTES),
          '/v1',
          '/v2/sync',
          '/v1/sync/',
          '//v1/sync',
          '/v1/%2e%2e/sync',
          `/v1/bundles/${newId()}`,
        ),
      })
      .map(
        ({ auth, method, route }): FuzzRequest => ({
          label: `${method} ${route}`,
          method,
          path: route,
          headers: { ...auth, 'content-type': JSON_TYPE },
          ...(method === 'GET' || method === 'HEAD' ? {} : { body: '{}' }),
        }),
      ),
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map(
      (bytes): FuzzRequest => ({
        label: 'binary body',
        method: 'POST',
        path: ROUTES.sync,
        headers: { authorization: `Bearer ${target.token}`, 'content-type': JSON_TYPE },
        body: Buffer.from(bytes).toString('latin1'),
        binary: true,
      }),
    ),
  )
