import type { Prng } from '../support/prng.js'
import type { SimAnswer, SimRequest, SimServer } from './server.js'

/**
 * What the network does to one request. Every request of a schedule draws one (while the
 * network is faulty), from the schedule's PRNG:
 * - `pass`: delivered, answered.
 * - `drop-request`: lost on the way; the server never sees it.
 * - `drop-answer`: the server acts on it, the answer is lost.
 * - `duplicate`: delivered and answered; a copy arrives again later (a retransmission).
 * - `delay`: held in the network and delivered at some later step, after later requests
 *   (reordered); the sender gives up waiting meanwhile, so its answer goes nowhere.
 * - `write-during`: the device commits a local write while its request is on the way.
 * - `crash-server`: the server acts on it, then crashes before answering.
 */
export type Fault =
  | 'pass'
  | 'drop-request'
  | 'drop-answer'
  | 'duplicate'
  | 'delay'
  | 'write-during'
  | 'crash-server'

export const FAULT_WEIGHTS: Readonly<Record<Fault, number>> = {
  pass: 64,
  'drop-request': 7,
  'drop-answer': 8,
  duplicate: 6,
  delay: 8,
  'write-during': 5,
  'crash-server': 2,
}

/** What the rest of the world learns from the network. */
export interface NetworkEvents {
  trace(line: string): void
  /** `request` reached the server (bundles it carried are now "sent"). */
  delivered(from: string, request: SimRequest): void
  /**
   * The server acted on `request` from device `from` and gave `answer` (whether or not the
   * answer then reaches the device): in the order the server acts.
   */
  acted(from: string, request: SimRequest, answer: SimAnswer): void
  /** `answer` to `request` reached device `from` (its acknowledgements count from now). */
  answered(from: string, request: SimRequest, answer: SimAnswer): void
  /** Device `from` commits a local write while its request travels. */
  writeDuring(from: string): Promise<void>
  /** The server crashes after acting on a request, before answering. */
  crashServer(): Promise<void>
}

/** A request still in the network: delivered at a later step, its answer to no one. */
interface Held {
  from: string
  request: SimRequest
}

/**
 * The simulated network between the devices and the server: each device's `fetch` goes
 * through `carry`, which draws a fault and calls the server in process. Nothing here uses a
 * timer: a request is delivered, held, or lost at once, and held ones wait for the scheduler.
 */
export class SimNetwork {
  faulty = true
  readonly held: Held[] = []
  /** Faults the next requests get, in order, before any is drawn (for scripted repros). */
  readonly forced: Fault[] = []
  readonly counts = Object.fromEntries(Object.keys(FAULT_WEIGHTS).map((k) => [k, 0])) as Record<
    Fault,
    number
  >

  constructor(
    private readonly prng: Prng,
    private readonly server: SimServer,
    private readonly events: NetworkEvents,
  ) {}

  /** The `fetch` device `name` is opened with. */
  fetchFor(name: string): typeof globalThis.fetch {
    return async (input, init) => {
      const url = new URL(String(input instanceof Request ? input.url : input))
      const headers: Record<string, string> = {}
      for (const [key, value] of new Headers(init?.headers).entries()) headers[key] = value
      const request: SimRequest = {
        method: init?.method ?? 'GET',
        url: url.pathname + url.search,
        headers,
        body: typeof init?.body === 'string' ? init.body : undefined,
      }
      const answer = await this.carry(name, request)
      return new Response(answer.body === '' ? null : answer.body, {
        status: answer.status,
        headers: answer.headers,
      })
    }
  }

  private async carry(from: string, request: SimRequest): Promise<SimAnswer> {
    const fault: Fault =
      this.forced.shift() ?? (this.faulty ? this.prng.weighted(FAULT_WEIGHTS) : 'pass')
    this.counts[fault] += 1
    const label = `${from} ${request.method} ${request.url.split('?')[0]}`
    if (fault === 'drop-request') {
      this.events.trace(`${label}: dropped`)
      throw new TypeError('sim: request dropped')
    }
    if (fault === 'delay') {
      this.held.push({ from, request })
      this.events.trace(`${label}: held (#${this.held.length})`)
      throw new TypeError('sim: timed out, the request is still on its way')
    }
    if (fault === 'write-during') await this.events.writeDuring(from)
    const answer = await this.deliver(from, request, label)
    if (fault === 'drop-answer') {
      this.events.trace(`${label}: answer dropped`)
      throw new TypeError('sim: answer dropped')
    }
    if (fault === 'crash-server') {
      this.events.trace(`${label}: server crashes before answering`)
      await this.events.crashServer()
      throw new TypeError('sim: connection reset')
    }
    if (fault === 'duplicate') this.held.push({ from, request })
    this.events.answered(from, request, answer)
    return answer
  }

  private async deliver(from: string, request: SimRequest, label: string): Promise<SimAnswer> {
    if (!this.server.up) {
      this.events.trace(`${label}: refused (server down)`)
      throw new TypeError('sim: connection refused')
    }
    this.events.delivered(from, request)
    const answer = await this.server.handle(request)
    this.events.acted(from, request, answer)
    this.events.trace(`${label} → ${answer.status}${summary(answer)}`)
    return answer
  }

  /** Delivers one held request (the PRNG picks which): a late or repeated arrival. */
  async deliverHeld(): Promise<void> {
    if (this.held.length === 0) return
    const [late] = this.held.splice(this.prng.int(0, this.held.length - 1), 1) as [Held]
    const label = `${late.from} ${late.request.method} ${late.request.url.split('?')[0]} (late)`
    try {
      await this.deliver(late.from, late.request, label)
    } catch {
      // The server is down: this copy is lost too.
    }
  }

  /** Delivers everything still held, oldest first (before the final quiescence). */
  async deliverAllHeld(): Promise<void> {
    while (this.held.length > 0) {
      const late = this.held.shift() as Held
      const label = `${late.from} ${late.request.method} ${late.request.url.split('?')[0]} (late)`
      await this.deliver(late.from, late.request, label).catch(() => undefined)
    }
  }
}

/** A short, deterministic summary of an answer for the trace. */
const summary = (answer: SimAnswer): string => {
  let body: Record<string, unknown>
  try {
    body = JSON.parse(answer.body)
  } catch {
    return ''
  }
  const error = body.error as { code?: string } | undefined
  if (error) return ` ${error.code}`
  const parts: string[] = []
  if (Array.isArray(body.accepted) && body.accepted.length)
    parts.push(`acked ${body.accepted.length}`)
  if (Array.isArray(body.bundles) && body.bundles.length)
    parts.push(`bundles ${body.bundles.length}`)
  if (Array.isArray(body.ids)) parts.push(`ids ${body.ids.length}`)
  if (body.more) parts.push('more')
  if (body.reset) parts.push('reset')
  if (body.own) parts.push('own')
  return parts.length ? ` ${parts.join(' ')}` : ''
}
