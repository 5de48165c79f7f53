import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../http/app.js'
import { openStore } from '../../store/kysely-store.js'
import type { Store } from '../../store/store.js'
import { injector } from '../../testing/inject.js'
import { type DevIssuer, startDevIssuer } from '../../testing/jwt-issuer.js'
import { parseJwtIssuers } from './config.js'

describe('the server log and JWTs', () => {
  let idp: DevIssuer
  let store: Store
  beforeAll(async () => {
    idp = await startDevIssuer()
    store = await openStore('memory')
  })
  afterAll(async () => {
    await store.close()
    await idp.close()
  })

  it('never holds a token, accepted or refused, even at trace level', async () => {
    let log = ''
    const stream = new Writable({
      write(chunk, _encoding, done) {
        log += String(chunk)
        done()
      },
    })
    const app = await buildApp({
      store,
      logger: { level: 'trace', stream },
      jwtIssuers: parseJwtIssuers(
        [{ issuer: idp.issuer, jwksUrl: idp.jwksUrl, audience: 'tidings' }],
        'test',
      ),
    })
    const good = await idp.sign({ sub: 'alice' })
    const expired = await idp.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 600 })
    expect((await injector(app, good).ids()).status).toBe(200)
    expect((await injector(app, expired).ids()).status).toBe(401)
    await app.close()
    expect(log).toContain('"statusCode":401') // the refusal was logged, without its token
    for (const token of [good, expired]) expect(log).not.toContain(token.split('.')[2])
  })
})
