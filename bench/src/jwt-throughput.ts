import { startDevIssuer } from '../../packages/server/src/testing/jwt-issuer.js'
import { withServer } from './child.js'
import { type BenchContext, makeRow, settle } from './context.js'
import { CONNECTIONS, type LoadResult, loadSync, syncConnections } from './load.js'
import { repeat } from './stats.js'
import type { Cell } from './table.js'

/**
 * `/v1/sync` with JWT auth (RS256 through a local JWKS issuer) against the server's own tokens,
 * on one server process in the same run: what verifying a signature and reading the identity
 * on every request costs beside a remembered token's hash.
 */
export const jwtThroughputRow = async (
  ctx: BenchContext,
  seconds: number,
  summarize: (runs: LoadResult[]) => Cell,
): Promise<void> => {
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
        const tokens = await settle(async () =>
          summarize(
            await repeat(ctx.runs, () => loadSync(s.url, syncConnections(s.tokens), seconds)),
          ),
        )
        const signed = await settle(async () =>
          summarize(await repeat(ctx.runs, () => loadSync(s.url, syncConnections(jwts), seconds))),
        )
        return [tokens, signed]
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
