import { TidingsError } from '@tidings/protocol'
import { Relay } from './relay.js'
import type { Opened, Reply, Request } from './rpc.js'
import type { Port } from './serve.js'
import type { Locks } from './serve-tab.js'

/** A `Worker` or anything shaped like one (a `MessagePort` in tests). */
export interface WorkerLike extends Port {
  terminate?(): void
  start?(): void
}

export interface WorkerLinkOptions {
  /** The tab's worker, or a function that starts one (then it can be restarted after a freeze). */
  worker: WorkerLike | (() => WorkerLike)
  locks: Locks | null
  /** Every answer, row and status for the page. */
  onReply(reply: Reply): void
  /** The worker reported an uncaught error (it goes on running). */
  onWorkerError(message: string): void
  /** The worker is gone for good (crashed, killed): nothing will answer any more. */
  onDeath(): void
  /** Whether this tab's worker owns the database right now. */
  owns(): boolean
}

/**
 * The page's line to its tab's worker. Requests pass through a `Relay`, so that when the
 * worker is replaced every unanswered request is sent again, at most once in effect: the page
 * of a tab being frozen (a background tab the browser suspends) terminates its worker if that
 * worker owns the database, since a frozen owner would stall every other tab, and starts a new
 * one when it resumes, which works through whichever tab owns the database by then.
 */
export class WorkerLink {
  #worker: WorkerLike
  #generation = 1
  #lifeLock: string | null = null
  #open: Extract<Request, { kind: 'open' }> | null = null
  /** The id of a restarted worker's `open`, answered here rather than on the page. */
  #reopening: number | null = null
  readonly #relay: Relay

  constructor(private readonly options: WorkerLinkOptions) {
    this.#relay = new Relay((_, request) => this.#post(request), options.onReply)
    this.#worker = this.#start()
    this.#relay.ownerIs(`worker-${this.#generation}`)
    globalThis.document?.addEventListener('freeze', () => this.#freeze())
    globalThis.document?.addEventListener('resume', () => this.#resume())
  }

  /** Sends a request; throws `bad_request` when an argument cannot be copied to the worker. */
  request(request: Request): void {
    if (request.kind === 'open') this.#open = request
    this.#relay.request(request)
  }

  /** Watches the worker's life lock (from its `open` answer): granted once the worker is gone. */
  watch(opened: Opened): void {
    const lifeLock = opened.lifeLock
    if (!lifeLock) return
    this.#lifeLock = lifeLock
    void this.options.locks?.request(lifeLock, {}, async () => {
      if (this.#lifeLock === lifeLock) this.options.onDeath()
    })
  }

  terminate(): void {
    this.#lifeLock = null
    this.#worker.terminate?.()
  }

  #start(): WorkerLike {
    const source = this.options.worker
    const worker = typeof source === 'function' ? source() : source
    worker.addEventListener('message', (event) => {
      if (worker !== this.#worker) return
      const reply = event.data as Reply
      if (reply.kind === 'result' && reply.id === this.#reopening) {
        this.#reopening = null
        this.watch(reply.value as Opened)
        return
      }
      this.#relay.reply(reply)
    })
    const events = worker as Partial<Worker>
    events.addEventListener?.('error', (event: ErrorEvent) => {
      if (worker === this.#worker) this.options.onWorkerError(event.message)
    })
    events.addEventListener?.('messageerror', () => {
      if (worker === this.#worker)
        this.options.onWorkerError('a message from the Tidings worker was unreadable')
    })
    worker.start?.()
    return worker
  }

  #post(request: Request): void {
    try {
      this.#worker.postMessage(request)
    } catch (error) {
      // A function, a DOM node, a class with private fields…: structured clone refuses them.
      const what = request.kind === 'call' ? `${request.method}()` : request.kind
      throw new TidingsError(
        'bad_request',
        `an argument of ${what} cannot be sent to the Tidings worker (plain data only): ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      )
    }
  }

  #frozen = false

  #freeze(): void {
    if (typeof this.options.worker !== 'function' || !this.#open || !this.options.owns()) return
    // Terminating releases the worker's locks and OPFS handles at once, frozen or not.
    this.#frozen = true
    this.terminate()
  }

  #resume(): void {
    if (!this.#frozen || !this.#open) return
    this.#frozen = false
    this.#generation++
    this.#worker = this.#start()
    this.#reopening = -this.#generation
    this.#post({ ...this.#open, id: this.#reopening })
    this.#relay.ownerIs(`worker-${this.#generation}`)
  }
}
