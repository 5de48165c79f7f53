import { startDevIssuer } from '../../packages/server/src/testing/jwt-issuer.js'
import { withServer } from './child.js'
import { type BenchContext, makeRow, settle } from './context.js'
import { CONNECTIONS, type LoadWindow, loadSync, syncConnections } from './load.js'
import { loadRuns, summarize } from './load-runs.js'

/**
 * `/v1/sync` with JWT auth (RS256 through a local JWKS issuer) against the server's own tokens,
 * on one server process in the same run: what verifying a signature and reading the identity
 * on every request costs beside a remembered token's hash.
 */
export const jwtThroughputRow = async (ctx: BenchContext, window: LoadWindow): Promise<void> => {
  ctx.log('server-throughput: /v1/sync with JWTs vs server tokens')
  const idp = await startDevIssuer()
  try {
    const jwts = await Promise.all(
      Array.from({ length: CONNECTIONS }, (_, i) =>
        idp.sign({ sub: `bench${i}`, exp: Math.floor(Date.now() / 1000) + 86_400 }),
      ),
    )
    const jwtIssuers = [{ issuer: idp.issuer, jwksUrl: idp.jwksUrl, audience: 'tidings' }]
    const [own, jwt] = await withServer(
      { kind: 'tidings', users: CONNECTIONS, jwtIssuers },
      async (s) => {
        const own = syncConnections(s.tokens)
        const tokens = await settle(async () =>
          summarize(await loadRuns(ctx, [s], () => loadSync(s.url, own, window))),
        )
        const signed = syncConnections(jwts)
        const jwt = await settle(async () =>
          summarize(await loadRuns(ctx, [s], () => loadSync(s.url, signed, window))),
        )
        return [tokens, jwt]
      },
    )
    ctx.report(
      makeRow({
        bench: 'server-throughput',
        measure: `/v1/sync push with JWT auth (RS256, JWKS), ${CONNECTIONS} connections, SQLite in memory (req/s)`,
        ours: jwt,
        baseline: own,
        baselineName: 'the same server with its own tokens, same run',
        note: 'what JWT auth costs',
      }),
    )
  } finally {
    await idp.close()
  }
}
