/**
 * The client's reads into the past: an entity's history, views as of a moment, and truncating
 * the log. The value decoder is made on first use, as most clients never look back.
 */
import type { RawQuery } from '../api/query.js'
import type { Store } from '../store/store.js'
import { AsOfReader } from './as-of.js'
import { ValueReader } from './decode-value.js'
import { readEntityHistory } from './read-history.js'
import { truncateLog } from './truncate.js'
import type { HistoryOptions, HistoryResult, TruncateOptions, TruncateResult } from './types.js'

export interface ClientHistoryParts {
  store: Store
  /** A query whose `space` names the private space by its id asks for null. */
  local: (query: RawQuery | undefined) => RawQuery | undefined
  /** Throws once the client is closed. */
  open: () => void
  /** Resolves once no sync is in flight. */
  idle: () => Promise<void>
}

export class ClientHistory {
  private values: ValueReader | null = null

  constructor(private readonly parts: ClientHistoryParts) {}

  /** An entity's events in HLC order. */
  read(type: string, id: string, options?: HistoryOptions): HistoryResult {
    return readEntityHistory(this.parts.store, this.valueReader(), type, id, options)
  }

  /** A read-only view of the state at `at` (an HLC, a Date or epoch ms). */
  asOf(at: string | Date | number): AsOfReader {
    const { store, local, open } = this.parts
    return new AsOfReader(store, this.valueReader(), at, local, open)
  }

  /** Drops acknowledged, superseded events (see truncate.ts). */
  async truncate(options: TruncateOptions): Promise<TruncateResult> {
    // A sync in flight may hold bundles between push and acknowledgement: let it finish.
    await this.parts.idle()
    return truncateLog(this.parts.store, options)
  }

  private valueReader(): ValueReader {
    this.values ??= new ValueReader(this.parts.store.schema)
    return this.values
  }
}
