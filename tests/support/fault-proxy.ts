import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Prng } from './prng.js'

/** What the proxy may do to one request. */
export const FAULTS = ['pass', 'drop', 'delay', 'duplicate', 'reorder', 'cut'] as const
export type Fault = (typeof FAULTS)[number]

export type FaultWeights = Record<Fault, number>

/** A clean path: every request passes untouched. */
export const NO_FAULTS: FaultWeights = {
  pass: 1,
  drop: 0,
  delay: 0,
  duplicate: 0,
  reorder: 0,
  cut: 0,
}

export const DEFAULT_FAULTS: FaultWeights = {
  pass: 4,
  drop: 1,
  delay: 1,
  duplicate: 1,
  reorder: 1,
  cut: 1,
}

export interface FaultProxyOptions {
  /** Upstream base URL, e.g. `http://127.0.0.1:8787`. */
  target: string
  seed: number
  weights?: FaultWeights
  /** Longest delay of a `delay` fault, ms. */
  maxDelayMs?: number
  /** Longest a `reorder` fault holds a request when no later request overtakes it, ms. */
  maxHoldMs?: number
  /** Sees every request body that arrives (before any fault), e.g. to record pushed bundles. */
  onRequest?: (request: { method: string; path: string; body: Buffer }) => void
}

/**
 * One count per fault kind applied, plus requests seen and upstream failures (a request that
 * found the server down counts there, not under its fault): the kinds and `upstreamErrors`
 * add up to `requests`.
 */
export type FaultCounts = Record<Fault | 'requests' | 'upstreamErrors', number>

export interface FaultProxy {
  readonly url: string
  readonly counts: FaultCounts
  /** Points the proxy at another upstream (a restarted server on a new port). */
  setTarget(target: string): void
  setWeights(weights: FaultWeights): void
  close(): Promise<void>
}

interface Upstream {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/**
 * An HTTP proxy on 127.0.0.1 that breaks traffic on purpose, one seeded fault per request:
 * drop (socket destroyed before forwarding), delay, duplicate (forwarded twice, concurrently),
 * reorder (held until a later request overtakes it), cut (answer truncated mid-body, then the
 * socket destroyed) or pass. Upstream failures (a killed server) destroy the client socket,
 * as a refused connection would. WebSocket upgrades are refused the same way.
 */
export const startFaultProxy = async (options: FaultProxyOptions): Promise<FaultProxy> => {
  const prng = new Prng(options.seed)
  let target = new URL(options.target)
  let weights = options.weights ?? DEFAULT_FAULTS
  const maxDelayMs = options.maxDelayMs ?? 200
  const maxHoldMs = options.maxHoldMs ?? 300
  const counts: FaultCounts = {
    requests: 0,
    upstreamErrors: 0,
    pass: 0,
    drop: 0,
    delay: 0,
    duplicate: 0,
    reorder: 0,
    cut: 0,
  }
  const held: Array<() => void> = []
  const sockets = new Set<import('node:net').Socket>()

  const forward = (req: http.IncomingMessage, body: Buffer): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host, connection: 'close' }
      const out = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          )
          res.on('error', reject)
        },
      )
      out.on('error', reject)
      out.end(body)
    })

  const reply = (res: http.ServerResponse, up: Upstream, cut: boolean): void => {
    const headers = { ...up.headers }
    delete headers['transfer-encoding']
    delete headers.connection
    headers['content-length'] = String(up.body.length)
    res.writeHead(up.status, headers)
    if (!cut) {
      res.end(up.body)
      return
    }
    // Part of the body, then a dead connection: the client cannot know the server acted.
    const part = up.body.subarray(0, Math.floor(up.body.length / 2))
    res.write(part, () => res.socket?.destroy())
  }

  const releaseOneHeld = (): void => {
    const release = held.shift()
    if (release) release()
  }

  const handle = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
  ): Promise<void> => {
    counts.requests++
    options.onRequest?.({ method: req.method ?? 'GET', path: req.url ?? '/', body })
    const fault = prng.weighted(weights)
    counts[fault]++
    const delay = prng.int(0, maxDelayMs)
    const hold = prng.int(maxHoldMs / 4, maxHoldMs)
    const pickSecond = prng.chance(0.5)
    if (fault === 'drop') {
      req.socket.destroy()
      return
    }
    if (fault === 'delay') await sleep(delay)
    if (fault === 'reorder') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          const i = held.indexOf(release)
          if (i >= 0) held.splice(i, 1)
          resolve()
        }, hold)
        const release = () => {
          clearTimeout(timer)
          resolve()
        }
        held.push(release)
      })
    }
    try {
      let up: Upstream
      if (fault === 'duplicate') {
        const [a, b] = await Promise.allSettled([forward(req, body), forward(req, body)])
        const chosen = pickSecond ? b : a
        const other = pickSecond ? a : b
        const settled = chosen.status === 'fulfilled' ? chosen : other
        if (settled.status === 'rejected') throw settled.reason
        up = settled.value
      } else {
        up = await forward(req, body)
      }
      // A request that got through lets a held one go after it: that is the reordering.
      if (fault !== 'reorder') releaseOneHeld()
      reply(res, up, fault === 'cut')
    } catch {
      // The server was down: this request met no fault of ours, so it counts as that alone.
      counts[fault]--
      counts.upstreamErrors++
      req.socket.destroy()
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks))
    })
    req.on('error', () => req.socket.destroy())
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('upgrade', (_req, socket) => socket.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    setTarget(next) {
      target = new URL(next)
    },
    setWeights(next) {
      weights = next
    },
    close: async () => {
      for (const release of held.splice(0)) release()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      )
    },
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
