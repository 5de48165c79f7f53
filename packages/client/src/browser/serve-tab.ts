import { TidingsError } from '@tidings/protocol'
import { Relay } from './relay.js'
import {
  type Opened,
  type OpenOptions,
  type Reply,
  type Request,
  type TabMessage,
  toWireError,
} from './rpc.js'
import { ClientHost, type OpenHosted, type Peer, type Port } from './serve.js'

/** The part of `navigator.locks` this uses (an in-memory one in Node tests). */
export interface Locks {
  request(
    name: string,
    options: { ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<void>,
  ): Promise<unknown>
}

/** The part of `BroadcastChannel` this uses. */
export interface Channel {
  postMessage(message: unknown): void
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
  close(): void
}

export interface ServeTabOptions {
  /** Opens the database and the client; called once this tab owns the database lock. */
  open: OpenHosted
  /** Default `navigator.locks`; without any, this tab owns the database at once. */
  locks?: Locks | null
  /** Default a `BroadcastChannel`; without one, tabs wait for the owner to close (one live tab). */
  channel?: ((name: string) => Channel) | null
  /** This tab's id; default a random UUID. */
  tab?: string
}

/**
 * Serves one tab's page from its worker, with every tab of the same database live at once. The
 * tab whose worker holds the Web Lock `tidings-db:<name>` owns the database and the sync
 * connection; every other tab's worker relays its page's requests to that owner on the
 * `BroadcastChannel` `tidings:<name>` and streams the answers, rows and status back. When the
 * owner's tab closes or crashes its lock is released, the next waiting tab opens the database
 * and says so, and every tab re-sends what the old owner had not answered (see `Relay`).
 * Each worker holds a life lock while it lives: the owner learns that a tab went away (and ends
 * its subscriptions) when it is granted that tab's life lock, and so does the page of its worker.
 */
export function serveTab(page: Port, options: ServeTabOptions): void {
  const tab = options.tab ?? crypto.randomUUID()
  const locks = options.locks === undefined ? defaultLocks() : options.locks
  const lifeLock = `tidings-tab:${tab}`
  let openRequest: Extract<Request, { kind: 'open' }> | null = null
  let channel: Channel | null = null
  let host: ClientHost | null = null
  let ownPeer: Peer | null = null
  let release: (() => void) | null = null
  const peers = new Map<string, Peer>()
  const connection = () => (host ? 'this-tab' : 'another-tab')
  const withConnection = (status: unknown) => ({ ...(status as object), connection: connection() })

  const toPage = (reply: Reply) => {
    if (reply.kind === 'result' && reply.id === openRequest?.id) {
      const opened = reply.value as Opened
      reply = { ...reply, value: { ...opened, status: withConnection(opened.status), lifeLock } }
    }
    page.postMessage(reply)
  }
  const relay = new Relay((owner, request) => {
    if (owner === tab) ownPeer?.handle(request)
    else channel?.postMessage({ kind: 'request', from: tab, to: owner, lifeLock, request })
  }, toPage)
  const post = (message: TabMessage) => channel?.postMessage(message)

  /** Called with the database lock held: opens the database and serves every tab. */
  const own = async (openOptions: OpenOptions): Promise<void> => {
    host = new ClientHost(await options.open(openOptions))
    ownPeer = host.peer((reply) => relay.reply(reply))
    host.onStatus((status) => {
      page.postMessage({ kind: 'status', status: withConnection(status) })
      post({ kind: 'status', status })
    })
    post({ kind: 'owner', tab, lifeLock })
    relay.ownerIs(tab)
    // The page may have heard another tab's status meanwhile: this one is the truth now.
    page.postMessage({ kind: 'status', status: withConnection(host.status()) })
  }

  /** Another tab's request: answered by the owner only, through that tab's peer. */
  const serveOther = (message: Extract<TabMessage, { kind: 'request' }>) => {
    if (!host || message.to !== tab) return
    let peer = peers.get(message.from)
    if (!peer) {
      const from = message.from
      const created = host.peer((reply) => post({ kind: 'reply', to: from, reply }))
      peers.set(from, created)
      peer = created
      // Granted once that tab's worker is gone: its live queries and transactions end.
      void locks?.request(message.lifeLock, {}, async () => {
        created.drop()
        peers.delete(from)
      })
    }
    if (message.request.kind === 'close') {
      peer.drop()
      peers.delete(message.from)
      return
    }
    peer.handle(message.request)
  }

  const hear = (message: TabMessage) => {
    switch (message.kind) {
      case 'who':
        if (host) post({ kind: 'owner', tab, lifeLock })
        return
      case 'owner':
        if (!host) relay.ownerIs(message.tab)
        return
      case 'request':
        serveOther(message)
        return
      case 'reply':
        if (!host && message.to === tab) relay.reply(message.reply)
        return
      case 'status':
        if (!host) page.postMessage({ kind: 'status', status: withConnection(message.status) })
        return
    }
  }

  const start = async (request: Extract<Request, { kind: 'open' }>) => {
    openRequest = request
    relay.request(request)
    const name = request.options.name
    // Held before anyone learns its name: a page or owner asking for it is granted it only
    // once this worker is gone.
    await new Promise<void>((held) => {
      if (!locks) return held()
      void locks.request(lifeLock, {}, () => {
        held()
        return new Promise<void>(() => {})
      })
    })
    channel =
      options.channel === undefined ? defaultChannel(name) : (options.channel?.(name) ?? null)
    channel?.addEventListener('message', (event) => hear(event.data as TabMessage))
    post({ kind: 'who' })
    const elected = async () => {
      try {
        await own(request.options)
      } catch (error) {
        // This tab cannot open the database: another one may, so the lock goes back.
        page.postMessage({ kind: 'error', id: request.id, error: toWireError(error) })
        return
      }
      await new Promise<void>((resolve) => (release = resolve))
    }
    if (locks) void locks.request(`tidings-db:${name}`, {}, elected)
    else void elected()
  }

  const close = async (request: Request) => {
    if (host) {
      const closing = host
      for (const peer of peers.values()) peer.drop()
      ownPeer?.drop()
      host = null
      try {
        await closing.close()
      } finally {
        release?.()
      }
    } else if (relay.owner) {
      post({ kind: 'request', from: tab, to: relay.owner, lifeLock, request })
    }
    channel?.close()
    channel = null
  }

  page.addEventListener('message', (event: MessageEvent) => {
    const request = event.data as Request
    if (request.kind === 'open') {
      if (openRequest) {
        const error = new TidingsError('conflict', 'the client is already open')
        page.postMessage({ kind: 'error', id: request.id, error: toWireError(error) })
      } else void start(request)
      return
    }
    if (request.kind === 'close') {
      close(request).then(
        () => page.postMessage({ kind: 'result', id: request.id, value: null }),
        (error: unknown) =>
          page.postMessage({ kind: 'error', id: request.id, error: toWireError(error) }),
      )
      return
    }
    if (!openRequest) {
      const error = new TidingsError('unavailable', 'the client is not open')
      page.postMessage({ kind: 'error', id: request.id, error: toWireError(error) })
      return
    }
    relay.request(request)
  })
}

const defaultLocks = (): Locks | null =>
  typeof navigator !== 'undefined' && navigator.locks ? (navigator.locks as Locks) : null

const defaultChannel = (name: string): Channel | null =>
  typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(`tidings:${name}`)
