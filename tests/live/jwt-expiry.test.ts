import { parseJwtIssuers, type RunningServer, startServer } from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevIssuer, startDevIssuer } from '../../packages/server/src/testing/jwt-issuer.js'
import { holds, openTestClient, settled, until } from './support.js'

/**
 * Users of an app's identity provider on live streams (issue 14): a stream ends when its JWT
 * expires, and the client opens the next one with a fresh token from its token function.
 */
describe('JWT users on live streams (in-process server, local JWKS issuer)', () => {
  let idp: DevIssuer
  let server: RunningServer
  beforeAll(async () => {
    idp = await startDevIssuer()
    const jwtIssuers = parseJwtIssuers(
      [{ issuer: idp.issuer, jwksUrl: idp.jwksUrl, audience: 'tidings', clockToleranceSeconds: 0 }],
      'test',
    )
    server = await startServer({ db: 'memory', port: 0, jwtIssuers, rateLimit: false })
  })
  afterAll(async () => {
    await server?.close()
    await idp?.close()
  })

  /** A token function of `sub` handing out tokens valid for `seconds`; counts its calls. */
  const tokenFunction = (sub: string, seconds: number) => {
    const state = { calls: 0 }
    const fn = async () => {
      state.calls += 1
      return idp.sign({ sub, exp: Math.floor(Date.now() / 1000) + seconds })
    }
    return { fn, state }
  }

  it('ends the stream at the token’s exp; the client reconnects with a fresh token and still hears pokes', async () => {
    const reader = tokenFunction('ada', 2)
    const writer = tokenFunction('ada', 600)
    const b = await openTestClient({ urls: [server.url], token: reader.fn })
    const a = await openTestClient({ urls: [server.url], token: writer.fn })
    try {
      b.client.startSync()
      await until('B to open a live stream', async () => b.count('live') >= 1)
      // The server closed the first stream at exp; B opened another with a new token.
      await until(
        'B’s stream to end with its token and reopen with a fresh one',
        async () => b.count('live') >= 2 && reader.state.calls >= 2,
      )
      await settled(b.client, 'B to settle')
      const text = `after the refresh ${Date.now()}`
      await a.client.create('note', { text, by: 'A' })
      await a.client.sync()
      await until('the note on B, through a poke on the new stream', () => holds(b.client, [text]))
      expect(b.client.status.signIn).toBeUndefined()
    } finally {
      await Promise.all([a.client.close(), b.client.close()])
    }
  })

  it('says signIn when even a fresh token is refused', async () => {
    const wrongApp = async () => idp.sign({ sub: 'bea', aud: 'another-app' })
    const { client } = await openTestClient({ urls: [server.url], token: wrongApp, live: false })
    try {
      const error = await client.sync().catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'unauthorized', details: { reason: 'wrong_audience' } })
      expect(client.status.signIn).toBe(true)
    } finally {
      await client.close()
    }
  })
})
