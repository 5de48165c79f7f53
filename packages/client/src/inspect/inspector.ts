import { quote } from '../driver/sqlite.js'
import { listSpaces } from '../store/known-spaces.js'
import type { Store } from '../store/store.js'
import { tableName } from '../store/typed.js'
import type { RejectedBundle, RejectedBundles } from '../sync/rejected.js'
import type { SyncStatus } from '../sync/types.js'
import type { ErrorLog } from './error-log.js'
import { decodeHlc } from './hlc.js'
import { readCounts, readEvents, readHistory, readOutbox } from './log-reader.js'
import { redact } from './redact.js'
import type { LiveQueryTiming } from './timing-ring.js'
import type {
  DebugBundle,
  EventPage,
  EventQuery,
  HistoryStep,
  Inspector,
  OutboxPage,
  ResetOptions,
  ResetResult,
  SyncInfo,
} from './types.js'

/** What the inspector reads of its client. */
export interface InspectorSources {
  store: Store
  refused: RejectedBundles
  status: () => SyncStatus
  liveQueries: () => LiveQueryTiming[]
  errors: ErrorLog
  reset: (options: ResetOptions) => Promise<ResetResult>
  /** Strings that must never appear in what the inspector answers (the token in use). */
  secrets: () => Array<string | undefined>
}

/**
 * The inspector of a client running in this process (Node, or the worker owning the database
 * in a browser). Every answer passes through `redact`: nothing here reads the token, and that
 * pass makes sure of it even when an error message or a stored value happens to hold it.
 */
export class LocalInspector implements Inspector {
  constructor(private readonly from: InspectorSources) {}

  async events(query?: EventQuery): Promise<EventPage> {
    return this.clean(readEvents(this.from.store.sql, query))
  }

  async history(type: string, id: string): Promise<HistoryStep[]> {
    return this.clean(readHistory(this.from.store.sql, type, id))
  }

  async outbox(options?: { limit?: number; eventsPerBundle?: number }): Promise<OutboxPage> {
    return this.clean(readOutbox(this.from.store.sql, options))
  }

  async refused(): Promise<RejectedBundle[]> {
    return this.clean(this.from.refused.list())
  }

  async sync(): Promise<SyncInfo> {
    return this.clean(this.syncInfo())
  }

  async liveQueries(): Promise<LiveQueryTiming[]> {
    return this.clean(this.from.liveQueries())
  }

  async debugBundle(): Promise<DebugBundle> {
    const { store } = this.from
    const types = Object.keys(store.schema.types)
    const tables = Object.fromEntries(types.map((type) => [type, quote(tableName(type))]))
    const bundle: DebugBundle = {
      format: 'tidings-debug/1',
      createdAt: new Date().toISOString(),
      schema: Object.fromEntries(
        types.map((type) => [type, Object.keys(store.schema.shape(type) as object)]),
      ),
      counts: readCounts(store.sql, tables),
      sync: this.syncInfo(),
      outbox: readOutbox(store.sql),
      refused: this.from.refused.list(),
      liveQueries: this.from.liveQueries(),
      recentEvents: readEvents(store.sql, { limit: 200 }).events,
    }
    // Through JSON once: what a download gets is exactly what this answers.
    return this.clean(JSON.parse(JSON.stringify(bundle)) as DebugBundle)
  }

  resetDevice(options: ResetOptions = {}): Promise<ResetResult> {
    return this.from.reset(options)
  }

  private syncInfo(): SyncInfo {
    const { store } = this.from
    const lastHlc = store.getState('last_hlc')
    return {
      clientId: store.clientId,
      cursor: store.getState('cursor') ?? null,
      privateSpace: store.privateSpace ?? null,
      spaces: listSpaces(store.sql),
      servers: serversOf(store.getState('server_urls')),
      status: this.from.status(),
      lastHlc: lastHlc ? decodeHlc(lastHlc) : null,
      clockOffsetMs: store.clock.offsetMs,
      lastErrors: this.from.errors.list(),
    }
  }

  private clean<T>(value: T): T {
    return redact(value, this.from.secrets())
  }
}

/** The server URLs this database syncs with, without any user or password in them. */
const serversOf = (saved: string | undefined): string[] => {
  if (!saved) return []
  return (JSON.parse(saved) as string[]).map((text) => {
    try {
      const url = new URL(text)
      url.username = ''
      url.password = ''
      return url.toString()
    } catch {
      return text
    }
  })
}
