import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_FAULTS,
  type Fault,
  type FaultWeights,
  NO_FAULTS,
  startFaultProxy,
} from './fault-proxy.js'

/** An upstream that records the order requests arrive in and echoes a JSON body. */
let upstream: http.Server
let upstreamUrl = ''
const arrived: string[] = []

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      arrived.push(req.url ?? '')
      const body = JSON.stringify({
        path: req.url,
        echo: Buffer.concat(chunks).toString(),
        pad: 'x'.repeat(2000),
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => upstream.close(resolve))
})

const only = (fault: Fault): FaultWeights => ({ ...NO_FAULTS, pass: 0, [fault]: 1 })

const waitFor = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
}

describe('fault proxy', () => {
  it('passes a request and its answer through untouched', async () => {
    arrived.length = 0
    const proxy = await startFaultProxy({ target: upstreamUrl, seed: 1, weights: NO_FAULTS })
    const res = await fetch(`${proxy.url}/a?x=1`, { method: 'POST', body: 'hello' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ path: '/a?x=1', echo: 'hello' })
    expect(proxy.counts).toMatchObject({ requests: 1, pass: 1 })
    await proxy.close()
  })

  it('drops a request before the upstream sees it', async () => {
    arrived.length = 0
    const proxy = await startFaultProxy({ target: upstreamUrl, seed: 1, weights: only('drop') })
    await expect(fetch(`${proxy.url}/dropped`, { method: 'POST', body: 'x' })).rejects.toThrow()
    expect(arrived).toEqual([])
    expect(proxy.counts.drop).toBe(1)
    await proxy.close()
  })

  it('duplicates a request: the upstream sees it twice, the caller gets one answer', async () => {
    arrived.length = 0
    const proxy = await startFaultProxy({
      target: upstreamUrl,
      seed: 1,
      weights: only('duplicate'),
    })
    const res = await fetch(`${proxy.url}/twice`, { method: 'POST', body: 'x' })
    expect((await res.json()) as unknown).toMatchObject({ path: '/twice' })
    expect(arrived).toEqual(['/twice', '/twice'])
    expect(proxy.counts.duplicate).toBe(1)
    await proxy.close()
  })

  it('cuts an answer mid-body after the upstream acted on the request', async () => {
    arrived.length = 0
    const proxy = await startFaultProxy({ target: upstreamUrl, seed: 1, weights: only('cut') })
    const attempt = fetch(`${proxy.url}/cut`).then((res) => res.text())
    await expect(attempt).rejects.toThrow()
    expect(arrived).toEqual(['/cut'])
    expect(proxy.counts.cut).toBe(1)
    await proxy.close()
  })

  it('delays a request and still delivers it', async () => {
    arrived.length = 0
    const proxy = await startFaultProxy({
      target: upstreamUrl,
      seed: 1,
      weights: only('delay'),
      maxDelayMs: 50,
    })
    const res = await fetch(`${proxy.url}/late`)
    expect(res.status).toBe(200)
    expect(arrived).toEqual(['/late'])
    expect(proxy.counts.delay).toBe(1)
    await proxy.close()
  })

  it('reorders: a held request reaches the upstream after a later one', async () => {
    arrived.length = 0
    const proxy = await startFaultProxy({
      target: upstreamUrl,
      seed: 1,
      weights: only('reorder'),
      maxHoldMs: 60_000,
    })
    const first = fetch(`${proxy.url}/first`)
    await waitFor(() => proxy.counts.reorder === 1)
    proxy.setWeights(NO_FAULTS)
    const second = await fetch(`${proxy.url}/second`)
    expect(second.status).toBe(200)
    expect((await first).status).toBe(200)
    expect(arrived).toEqual(['/second', '/first'])
    await proxy.close()
  })

  it('answers a dead upstream with a dead connection and counts it', async () => {
    const dead = http.createServer()
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve))
    const port = (dead.address() as AddressInfo).port
    await new Promise((resolve) => dead.close(resolve))
    const proxy = await startFaultProxy({
      target: `http://127.0.0.1:${port}`,
      seed: 1,
      weights: NO_FAULTS,
    })
    await expect(fetch(`${proxy.url}/x`)).rejects.toThrow()
    expect(proxy.counts).toMatchObject({ requests: 1, upstreamErrors: 1, pass: 0 })
    proxy.setTarget(upstreamUrl)
    expect((await fetch(`${proxy.url}/x`)).status).toBe(200)
    await proxy.close()
  })

  it('is reproducible: the same seed injects the same faults, and every request is counted once', async () => {
    const run = async () => {
      const proxy = await startFaultProxy({
        target: upstreamUrl,
        seed: 42,
        weights: DEFAULT_FAULTS,
        maxDelayMs: 5,
        maxHoldMs: 20,
      })
      const outcomes: string[] = []
      for (let i = 0; i < 40; i++) {
        outcomes.push(
          await fetch(`${proxy.url}/n${i}`)
            .then((r) => r.text())
            .then(
              () => 'ok',
              () => 'failed',
            ),
        )
      }
      const counts = { ...proxy.counts }
      await proxy.close()
      return { outcomes, counts }
    }
    const a = await run()
    const b = await run()
    expect(b).toEqual(a)
    const { requests, upstreamErrors, ...byFault } = a.counts
    expect(Object.values(byFault).reduce((s, n) => s + n, 0)).toBe(requests)
    expect(requests).toBe(40)
    expect(upstreamErrors).toBe(0)
    expect(a.outcomes).toContain('failed')
    expect(a.outcomes).toContain('ok')
  })
})
