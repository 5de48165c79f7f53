import { TidingsError } from '@tidings/protocol'
import type { Inspector } from '../inspect/types.js'
import { type AsOfSource, answerAsOf } from './as-of-rpc.js'
import type { Saves } from './block-saver.js'
import { HorizonStream } from './horizon-stream.js'
import { alreadyApplied } from './retry.js'
import { diffRows } from './row-diff.js'
import {
  CALLS,
  type CallMethod,
  INSPECT_CALLS,
  type InspectMethod,
  type Opened,
  type OpenOptions,
  READ_CALLS,
  type Reply,
  type Request,
  TX_CALLS,
  type TxMethod,
  toWireError,
} from './rpc.js'

/** The slice of a `Client` the worker forwards to, seen without its schema types. */
export interface HostedClient {
  readonly clientId: string
  readonly status: unknown
  onStatus(listener: (status: unknown) => void): () => void
  observe(type: string, query: unknown, callback: (rows: unknown[]) => void): () => void
  observeSpaces(callback: (spaces: unknown[]) => void): () => void
  undoState(): unknown
  onUndoState(listener: (state: unknown) => void): () => void
  transaction(fn: (tx: unknown) => Promise<unknown>): Promise<unknown>
  inspector(): Inspector
  /** History views (absent from test doubles that never look back). */
  asOf?(at: string | number): ReturnType<AsOfSource['asOf']> & { truncatedBefore?: string }
  setVisible?(visible: boolean): void
  close(): Promise<void>
}

/** Either end of a `postMessage` channel (a worker scope, a `Worker`, a `MessagePort`). */
export interface Port {
  postMessage(message: unknown): void
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
}

export type OpenHosted = (
  options: OpenOptions,
) => Promise<Opened & { client: HostedClient; saves?: Saves | null }>

/** The client a tab's worker opened, as `OpenHosted` answers it. */
export type HostedOpen = Awaited<ReturnType<OpenHosted>>

const NO_REPLY = Symbol('no reply')

/** An interactive transaction held open while the page sends its writes. */
interface OpenTx {
  handle: Record<TxMethod, (...args: unknown[]) => Promise<unknown>>
  finish: (commit: boolean) => void
  done: Promise<unknown>
}

const ABORT = new TidingsError('bad_request', 'transaction aborted by the page')

/** One tab's requests to the host: its own subscriptions and open transactions. */
export interface Peer {
  handle(request: Request): void
  /** The tab went away: its subscriptions end, its open transactions roll back. */
  drop(): void
}

/**
 * Answers requests with the client this tab's worker opened, for any number of tabs (each a
 * `Peer`): one reply per request id, observe rows and status changes streamed as they happen,
 * errors flattened to their code. Where saves complete after the commit (IndexedDB), a call
 * that may write answers only once its changes are saved, or with the `not_saved` error; the
 * status carries a failed save as `unsaved` until a later save succeeds.
 */
export class ClientHost {
  readonly #client: HostedClient
  readonly #saves: Saves | null
  readonly #opened: HostedOpen
  /** Each tab's last `setVisible`: the client counts as visible while any tab is. */
  readonly #visible = new Map<object, boolean>()
  readonly #horizon: HorizonStream

  constructor(opened: HostedOpen) {
    this.#opened = opened
    this.#client = opened.client
    this.#saves = opened.saves ?? null
    // The greatest horizon is what a view at the first millisecond of 1970 (before every HLC
    // stamped since) reports as `truncatedBefore`.
    this.#horizon = new HorizonStream(() => this.#client.asOf?.(0).truncatedBefore ?? null)
    this.#client.onStatus(() => this.#horizon.check())
  }

  get client(): HostedClient {
    return this.#client
  }

  /** What `open` answers, with the current status. */
  opened(): Opened {
    const { clientId, storage, durability } = this.#opened
    const opened: Opened = { clientId, storage, durability, status: this.status() }
    const horizon = this.#horizon.current()
    if (horizon !== null) opened.horizon = horizon
    return opened
  }

  /** The client's status, with a failed save (`unsaved`) shown until a save succeeds. */
  status(): unknown {
    const status = this.#client.status
    const failure = this.#saves?.failure
    if (!failure) return status
    return { ...(status as object), unsaved: { code: failure.code, message: failure.message } }
  }

  onStatus(listener: (status: unknown) => void): () => void {
    const publish = () => listener(this.status())
    const off = this.#client.onStatus(publish)
    const offSaves = this.#saves?.onFailure(publish)
    return () => {
      off()
      offSaves?.()
    }
  }

  /** Ends every peer's work, then closes the client and waits for the last save. */
  async close(): Promise<void> {
    await this.#client.close()
    await this.#saves?.durable()
  }

  #visibility(): void {
    this.#client.setVisible?.([...this.#visible.values()].some(Boolean) || this.#visible.size === 0)
  }

  peer(send: (reply: Reply) => void): Peer {
    const self = {}
    const subscriptions = new Map<number, () => void>()
    const transactions = new Map<number, OpenTx>()
    const client = this.#client
    const saves = this.#saves

    const dispatch = async (request: Request): Promise<unknown> => {
      switch (request.kind) {
        case 'open':
          return this.opened()
        case 'call': {
          if (!CALLS.includes(request.method)) throw unknownMethod(request.method)
          if (request.retry) {
            const applied = await alreadyApplied(client, request)
            if (applied) return applied.value ?? null
          }
          if (request.method === 'inspect') return await inspect(request.args)
          if (request.method === 'asOf') {
            if (!client.asOf) throw unknownMethod('asOf')
            return (await answerAsOf(client as AsOfSource, request.args)) ?? null
          }
          if (request.method === 'setVisible') {
            this.#visible.set(self, request.args[0] === true)
            this.#visibility()
            return null
          }
          const method = (client as unknown as Record<CallMethod, (...a: unknown[]) => unknown>)[
            request.method
          ]
          const value = await method.apply(client, request.args)
          if (!READ_CALLS.includes(request.method)) await saves?.durable()
          // Followers hear of a new horizon before the caller's answer (one ordered channel).
          if (request.method === 'truncateLog') this.#horizon.check()
          return value ?? null
        }
        case 'observe': {
          // The same subscription sent again (a hand-over raced its first attempt) replaces it.
          subscriptions.get(request.id)?.()
          // The page gets the whole list first, then what changed (see row-diff.ts).
          let last: unknown[] | null = null
          const off = client.observe(request.type, request.query, (rows) => {
            const diff = last && diffRows(last, rows)
            last = rows
            send(
              diff
                ? { kind: 'diff', id: request.id, diff }
                : { kind: 'rows', id: request.id, rows },
            )
          })
          subscriptions.set(request.id, off)
          return NO_REPLY
        }
        case 'observe-spaces': {
          subscriptions.get(request.id)?.()
          const off = client.observeSpaces((rows) => send({ kind: 'rows', id: request.id, rows }))
          subscriptions.set(request.id, off)
          return NO_REPLY
        }
        case 'observe-undo': {
          subscriptions.get(request.id)?.()
          const off = client.onUndoState((state) =>
            send({ kind: 'rows', id: request.id, rows: [state] }),
          )
          subscriptions.set(request.id, off)
          send({ kind: 'rows', id: request.id, rows: [client.undoState()] })
          return NO_REPLY
        }
        case 'observe-horizon': {
          subscriptions.get(request.id)?.()
          const off = this.#horizon.follow((horizon) =>
            send({ kind: 'rows', id: request.id, rows: [horizon] }),
          )
          subscriptions.set(request.id, off)
          return NO_REPLY
        }
        case 'unobserve':
          subscriptions.get(request.id)?.()
          subscriptions.delete(request.id)
          return NO_REPLY
        case 'begin':
          transactions.get(request.id)?.finish(false)
          transactions.set(request.id, await begin(client))
          return request.id
        case 'tx-call': {
          const tx = transactions.get(request.tx)
          if (!tx) throw new TidingsError('not_found', `no open transaction ${request.tx}`)
          if (!TX_CALLS.includes(request.method)) throw unknownMethod(request.method)
          return (await tx.handle[request.method](...request.args)) ?? null
        }
        case 'end': {
          const tx = transactions.get(request.tx)
          if (!tx) throw new TidingsError('not_found', `no open transaction ${request.tx}`)
          transactions.delete(request.tx)
          tx.finish(request.commit)
          let value: unknown
          try {
            value = await tx.done
          } catch (error) {
            if (error === ABORT) return null
            throw error
          }
          await saves?.durable()
          return value ?? null
        }
        case 'close':
          drop()
          return null
      }
    }

    /** An inspector call; only a reset writes, and answers once its wipe is saved. */
    const inspect = async ([name, ...args]: unknown[]): Promise<unknown> => {
      if (!INSPECT_CALLS.includes(name as InspectMethod)) throw unknownMethod(String(name))
      const method = client.inspector()[name as InspectMethod] as (...a: unknown[]) => unknown
      const value = await method.apply(client.inspector(), args)
      if (name === 'resetDevice') await saves?.durable()
      return value ?? null
    }

    const drop = () => {
      for (const off of subscriptions.values()) off()
      subscriptions.clear()
      for (const tx of transactions.values()) tx.finish(false)
      transactions.clear()
      if (this.#visible.delete(self)) this.#visibility()
    }

    return {
      handle: (request) => {
        dispatch(request).then(
          (value) => {
            if (value !== NO_REPLY) send({ kind: 'result', id: request.id, value })
          },
          (error: unknown) => send({ kind: 'error', id: request.id, error: toWireError(error) }),
        )
      },
      drop,
    }
  }
}

async function begin(client: HostedClient): Promise<OpenTx> {
  return await new Promise<OpenTx>((started, failed) => {
    let finish: (commit: boolean) => void = () => {}
    const ended = new Promise<void>((resolve, reject) => {
      finish = (commit) => (commit ? resolve() : reject(ABORT))
    })
    const holder: { done?: Promise<unknown> } = {}
    holder.done = client.transaction(async (tx) => {
      // The page's calls arrive as messages, so this function waits until the page ends it.
      await Promise.resolve()
      started({ handle: tx as OpenTx['handle'], finish, done: holder.done! })
      await ended
    })
    holder.done.catch(failed)
  })
}

const unknownMethod = (method: string) =>
  new TidingsError('bad_request', `unknown client method ${JSON.stringify(method)}`)
