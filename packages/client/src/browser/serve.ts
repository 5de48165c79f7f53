import { TidingsError } from '@tidings/protocol'
import type { Saves } from './block-saver.js'
import {
  CALLS,
  type CallMethod,
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
  transaction(fn: (tx: unknown) => Promise<unknown>): Promise<unknown>
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

const NO_REPLY = Symbol('no reply')

/** An interactive transaction held open while the page sends its writes. */
interface OpenTx {
  handle: Record<TxMethod, (...args: unknown[]) => Promise<unknown>>
  finish: (commit: boolean) => void
  done: Promise<unknown>
}

const ABORT = new TidingsError('bad_request', 'transaction aborted by the page')

/**
 * Answers the page's requests with a client opened by `open`: one reply per request id,
 * observe rows and status changes streamed as they happen, errors flattened to their code.
 * Where saves complete after the commit (IndexedDB), a call that may write answers only once
 * its changes are saved, or with the `not_saved` error; the status carries a failed save as
 * `unsaved` until a later save succeeds.
 */
export function serveClient(port: Port, open: OpenHosted): void {
  let client: HostedClient | null = null
  let saves: Saves | null = null
  const subscriptions = new Map<number, () => void>()
  const transactions = new Map<number, OpenTx>()
  const send = (reply: Reply) => port.postMessage(reply)
  // Everything waits for `open`; after it, requests run concurrently (a slow `sync` must not
  // hold up a local write), started in arrival order.
  let opened: Promise<unknown> = Promise.resolve()

  const need = (): HostedClient => {
    if (!client) throw new TidingsError('unavailable', 'the client is not open')
    return client
  }

  async function dispatch(request: Request): Promise<unknown> {
    switch (request.kind) {
      case 'open': {
        if (client) throw new TidingsError('conflict', 'the client is already open')
        const opened = await open(request.options)
        client = opened.client
        saves = opened.saves ?? null
        const publish = (status: unknown) => send({ kind: 'status', status: withSaves(status) })
        client.onStatus(publish)
        saves?.onFailure(() => client && publish(client.status))
        return {
          clientId: opened.clientId,
          storage: opened.storage,
          durability: opened.durability,
          status: withSaves(opened.status),
        }
      }
      case 'call': {
        if (!CALLS.includes(request.method)) throw unknownMethod(request.method)
        const method = (need() as unknown as Record<CallMethod, (...a: unknown[]) => unknown>)[
          request.method
        ]
        const value = await method.apply(client, request.args)
        if (!READ_CALLS.includes(request.method)) await saves?.durable()
        return value ?? null
      }
      case 'observe': {
        const off = need().observe(request.type, request.query, (rows) =>
          send({ kind: 'rows', id: request.id, rows }),
        )
        subscriptions.set(request.id, off)
        return NO_REPLY
      }
      case 'unobserve':
        subscriptions.get(request.id)?.()
        subscriptions.delete(request.id)
        return NO_REPLY
      case 'begin':
        transactions.set(request.id, await begin(need()))
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
      case 'close': {
        for (const off of subscriptions.values()) off()
        subscriptions.clear()
        await client?.close()
        client = null
        await saves?.durable()
        return null
      }
    }
  }

  /** The client's status, with a failed save (`unsaved`) shown until a save succeeds. */
  const withSaves = (status: unknown): unknown => {
    const failure = saves?.failure
    if (!failure) return status
    return { ...(status as object), unsaved: { code: failure.code, message: failure.message } }
  }

  port.addEventListener('message', (event: MessageEvent) => {
    const request = event.data as Request
    const run = () =>
      dispatch(request).then(
        (value) => {
          if (value !== NO_REPLY) send({ kind: 'result', id: request.id, value })
        },
        (error: unknown) => send({ kind: 'error', id: request.id, error: toWireError(error) }),
      )
    if (request.kind === 'open') opened = run()
    else void opened.then(run)
  })
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
