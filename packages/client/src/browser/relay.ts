import { TidingsError } from '@tidings/protocol'
import { retryOf, withOwnId } from './retry.js'
import { type Reply, type Request, toWireError } from './rpc.js'

interface Inflight {
  request: Request
  /** Whether an owner was sent it: a later owner then gets it as a retry. */
  sent: boolean
}

/**
 * Carries this tab's page requests to whichever tab owns the database (this tab's own worker
 * included) and its answers back, and survives a change of owner: a hand-over re-sends every
 * request the old owner did not answer, as a retry that applies at most once (see
 * `alreadyApplied`), and re-subscribes every live query. A transaction held open on the old
 * owner is gone with it (SQLite rolled it back): its later calls fail with `unavailable`.
 */
export class Relay {
  #owner: string | null = null
  readonly #inflight = new Map<number, Inflight>()
  /** Live queries, re-sent to each new owner (the same id keeps delivering rows). */
  readonly #observed = new Map<number, Request>()
  readonly #openTx = new Set<number>()
  readonly #lostTx = new Set<number>()
  /** The page's last `startSync` or `stopSync`, which a new owner must follow. */
  #syncing: Request | null = null
  /** The page's last `setVisible`, which a new owner must hear too. */
  #visible: Request | null = null

  constructor(
    private readonly send: (owner: string, request: Request) => void,
    private readonly toPage: (reply: Reply) => void,
  ) {}

  get owner(): string | null {
    return this.#owner
  }

  /** A request from this tab's page. */
  request(incoming: Request): void {
    let request = incoming
    switch (request.kind) {
      case 'call':
        request = withOwnId(request)
        if (request.method === 'startSync' || request.method === 'stopSync') this.#syncing = request
        if (request.method === 'setVisible') this.#visible = request
        break
      case 'observe':
      case 'observe-spaces':
      case 'observe-undo':
      case 'observe-horizon':
        this.#observed.set(request.id, request)
        this.#first(request)
        return
      case 'unobserve':
        this.#observed.delete(request.id)
        if (this.#owner) this.send(this.#owner, request)
        return
      case 'tx-call':
      case 'end':
        if (this.#lostTx.has(request.tx)) {
          this.#lose(request)
          return
        }
        break
    }
    this.#inflight.set(request.id, { request, sent: this.#owner !== null })
    this.#first(request)
  }

  /** The first attempt; a request that cannot be sent (not cloneable) leaves nothing behind. */
  #first(request: Request): void {
    if (!this.#owner) return
    try {
      this.send(this.#owner, request)
    } catch (error) {
      this.#inflight.delete(request.id)
      this.#observed.delete(request.id)
      throw error
    }
  }

  /** An answer from the owner for this tab. */
  reply(reply: Reply): void {
    if (reply.kind === 'result' || reply.kind === 'error') {
      const pending = this.#inflight.get(reply.id)
      this.#inflight.delete(reply.id)
      if (!pending) {
        // An error nobody awaits ends a subscription; an answer to a request already answered
        // (sent twice across a hand-over) is dropped.
        if (reply.kind === 'result' || !this.#observed.delete(reply.id)) return
      } else if (reply.kind === 'result') {
        const request = pending.request
        if (request.kind === 'begin') this.#openTx.add(reply.value as number)
        if (request.kind === 'end') this.#openTx.delete(request.tx)
      }
    }
    this.toPage(reply)
  }

  /** `tab` owns the database now: the first owner this tab hears of, or the next one. */
  ownerIs(tab: string): void {
    const previous = this.#owner
    if (previous === tab) return
    this.#owner = tab
    for (const tx of this.#openTx) this.#lostTx.add(tx)
    this.#openTx.clear()
    for (const [id, pending] of this.#inflight) {
      const request = pending.request
      if ((request.kind === 'tx-call' || request.kind === 'end') && pending.sent) {
        this.#inflight.delete(id)
        this.#lostTx.add(request.tx)
        this.#lose(request, true)
        continue
      }
      const retry = request.kind === 'call' && pending.sent
      pending.sent = true
      this.send(tab, retry ? { ...request, retry: retryOf(request) } : (request as Request))
    }
    for (const request of this.#observed.values()) this.send(tab, request)
    for (const last of [this.#syncing, this.#visible])
      if (previous !== null && last && !this.#inflight.has(last.id)) this.send(tab, last)
  }

  /** Answers a call on a transaction the old owner took with it. */
  #lose(request: Extract<Request, { kind: 'tx-call' | 'end' }>, inFlight = false): void {
    if (request.kind === 'end' && !request.commit) {
      this.toPage({ kind: 'result', id: request.id, value: null })
      return
    }
    const message =
      request.kind === 'end' && inFlight
        ? 'the tab that owned the database went away while this transaction committed: it ' +
          'either committed whole or not at all; read its writes back to find out'
        : 'the tab that owned the database went away during this transaction, which was ' +
          'rolled back: nothing of it was written; run it again'
    const error = new TidingsError('unavailable', message, { details: { handOver: true } })
    this.toPage({ kind: 'error', id: request.id, error: toWireError(error) })
  }
}
