import { DEFAULT_LIMITS, isTidingsError, ROUTES, TidingsError } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { TokenSource } from './token-source.js'
import { Transport } from './transport.js'

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

/** The Authorization header a fake fetch was given. */
const authOf = (init: RequestInit | undefined): string =>
  (init?.headers as Record<string, string> | undefined)?.authorization ?? ''

const expired = () =>
  json(401, {
    error: {
      code: 'unauthorized',
      message: 'the JWT has expired',
      details: { reason: 'token_expired' },
    },
  })

/** A token function handing out `t1`, `t2`, …; `calls` counts its calls. */
const provider = () => {
  const state = { calls: 0 }
  const fn = async () => {
    state.calls += 1
    await new Promise((r) => setTimeout(r, 5)) // in flight long enough for others to pile up
    return `t${state.calls}`
  }
  return { fn, state }
}

describe('token source', () => {
  it('sends a fixed token as is, and never "refreshes" it', async () => {
    const source = new TokenSource('fixed')
    expect(await source.get()).toBe('fixed')
    expect(await source.refresh('fixed')).toBe('fixed')
    expect(source.refreshable).toBe(false)
  })

  it('calls the token function at start, then only on refresh', async () => {
    const { fn, state } = provider()
    const source = new TokenSource(fn)
    expect(await source.get()).toBe('t1')
    expect(await source.get()).toBe('t1')
    expect(state.calls).toBe(1)
    expect(await source.refresh('t1')).toBe('t2')
  })

  it('shares a refresh in flight: ten callers refused together cause one call', async () => {
    const { fn, state } = provider()
    const source = new TokenSource(fn)
    const first = await source.get()
    const fresh = await Promise.all(Array.from({ length: 10 }, () => source.refresh(first)))
    expect(fresh).toEqual(Array(10).fill('t2'))
    // A latecomer still holding the old token gets the new one, no call.
    expect(await source.refresh(first)).toBe('t2')
    expect(state.calls).toBe(2)
  })

  it('treats a failing token function as offline, and a TidingsError from it as the app’s word', async () => {
    let mode: 'offline' | 'signed out' = 'offline'
    const source = new TokenSource(async () => {
      if (mode === 'offline') throw new Error('network down')
      throw new TidingsError('unauthorized', 'signed out')
    })
    await expect(source.get()).rejects.toMatchObject({ code: 'unavailable' })
    mode = 'signed out'
    await expect(source.get()).rejects.toMatchObject({ code: 'unauthorized' })
  })
})

describe('transport with a token function', () => {
  it('on 401 token_expired gets a fresh token once and sends the request again', async () => {
    const { fn, state } = provider()
    const sent: string[] = []
    const transport = new Transport(
      {
        url: 'http://127.0.0.1:9',
        token: fn,
        fetch: async (_url, init) => {
          const auth = authOf(init)
          sent.push(auth)
          return auth === 'Bearer t1' ? expired() : json(200, { ids: [] })
        },
      },
      DEFAULT_LIMITS,
    )
    expect((await transport.get(ROUTES.bundleIds, 'bundleIdsResponse')).body).toEqual({ ids: [] })
    expect(sent).toEqual(['Bearer t1', 'Bearer t2'])
    expect(state.calls).toBe(2)
  })

  it('never stampedes: concurrent requests refused together refresh once', async () => {
    // Twenty requests at once on a fresh client whose first token is already expired.
    const fresh = provider()
    const many = new Transport(
      {
        url: 'http://127.0.0.1:9',
        token: fresh.fn,
        fetch: async (_url, init) =>
          authOf(init) === 'Bearer t1' ? expired() : json(200, { ids: [] }),
      },
      DEFAULT_LIMITS,
    )
    await Promise.all(
      Array.from({ length: 20 }, () => many.get(ROUTES.bundleIds, 'bundleIdsResponse')),
    )
    expect(fresh.state.calls).toBe(2) // one at start, one refresh shared by all twenty
  })

  it('hands a 401 up when the fresh token is refused too (the app must sign in again)', async () => {
    const { fn, state } = provider()
    const transport = new Transport(
      { url: 'http://127.0.0.1:9', token: fn, fetch: async () => expired() },
      DEFAULT_LIMITS,
    )
    const error = await transport.get(ROUTES.bundleIds, 'bundleIdsResponse').catch((e) => e)
    expect(isTidingsError(error, 'unauthorized')).toBe(true)
    expect(state.calls).toBe(2)
  })
})
